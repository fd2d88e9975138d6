"""The organization-tree helper, against a naive walk of parents over generated trees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from landing_zone.config import load_config
from landing_zone.org_tree import ROOT, OrgTree, TreeAccount
from tests.conftest import EXAMPLE


@st.composite
def trees(draw: st.DrawFn) -> OrgTree:
    """Up to 12 OUs, each under the root or an earlier OU; accounts in random OUs."""
    size = draw(st.integers(min_value=0, max_value=12))
    keys = [f"ou-{i}" for i in range(size)]
    parents: dict[str, str | None] = {}
    for index, key in enumerate(keys):
        parents[key] = draw(st.sampled_from([None, *keys[:index]]))
    accounts = [
        TreeAccount(
            key=f"acct-{i}",
            ou=draw(st.sampled_from(keys)),
            account_id=draw(st.one_of(st.none(), st.just(f"{i:012d}"))),
        )
        for i in range(draw(st.integers(min_value=0, max_value=8)))
        if keys
    ]
    return OrgTree.build(units=parents.items(), accounts=accounts)


def naive_chain(tree: OrgTree, key: str) -> list[str]:
    """``key`` and its parents up to the top-level OU, nearest first."""
    chain = [key]
    parent = tree.parents[key]
    while parent is not None:
        chain.append(parent)
        parent = tree.parents[parent]
    return chain


@settings(max_examples=150, deadline=None)
@given(trees(), st.data())
def test_paths_and_ancestors_agree_with_the_parents(tree: OrgTree, data: st.DataObject) -> None:
    assert tree.path(ROOT) == (ROOT,)
    for key in tree.parents:
        chain = naive_chain(tree, key)
        assert tree.path(key) == (ROOT, *reversed(chain))
        assert tree.ancestors(key) == tuple(chain[1:])
    assert tree.paths().keys() == {ROOT, *tree.parents}


@settings(max_examples=150, deadline=None)
@given(trees(), st.data())
def test_a_target_reaches_exactly_the_ous_below_it(tree: OrgTree, data: st.DataObject) -> None:
    targets = set(data.draw(st.lists(st.sampled_from((ROOT, *tree.parents)), max_size=4)))
    for key in tree.parents:
        below_a_target = ROOT in targets or any(k in targets for k in naive_chain(tree, key))
        assert tree.reaches(targets, key) == below_a_target
        assert (key in tree.units_reached(targets)) == below_a_target
        assert tree.covering(targets, key) == tuple(
            k for k in naive_chain(tree, key)[1:] if k in targets
        )
    excluded = {a.key for a in tree.accounts[::3]} | {
        a.account_id for a in tree.accounts[1::3] if a.account_id
    }
    reached = tree.accounts_reached(targets, excluded=excluded)
    assert reached == tuple(
        a.key
        for a in tree.accounts
        if tree.reaches(targets, a.ou)
        and a.key not in excluded
        and (a.account_id or "") not in excluded
    )


def test_nothing_reaches_anything_without_targets() -> None:
    tree = OrgTree.build(units=[("a", None), ("b", "a")], accounts=[TreeAccount("x", "b")])
    assert tree.units_reached(()) == ()
    assert tree.accounts_reached(()) == ()
    assert tree.accounts_reached([ROOT]) == ("x",)
    assert tree.accounts_reached(["a"], excluded=["x"]) == ()


def test_the_example_tree_is_the_config_tree() -> None:
    config = load_config(EXAMPLE)
    tree = OrgTree.build(units=((key, parent) for key, _, parent, _ in config.walk_units()))
    assert tuple(tree.parents) == tuple(key for key, _, _, _ in config.walk_units())
    for key, _, parent, depth in config.walk_units():
        assert len(tree.path(key)) - 1 == depth
        assert tree.parents[key] == parent


def test_a_repeated_key_keeps_its_first_place_and_root_is_never_an_ou() -> None:
    tree = OrgTree.build(units=[("a", None), ("b", "a"), ("b", None), (ROOT, None), ("c", "b")])
    assert tuple(tree.parents) == ("a", "b", "c")
    assert tree.path("c") == (ROOT, "a", "b", "c")
    assert tree.path(ROOT) == (ROOT,)
