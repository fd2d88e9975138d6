"""CloudFormation limits the synthesized templates must stay within (no aws_cdk import)."""

from __future__ import annotations

# Inline StackSet TemplateBody. Larger templates need a TemplateURL (an S3
# object every target region can read), which this project avoids.
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html
MAX_TEMPLATE_BODY_BYTES = 51_200
