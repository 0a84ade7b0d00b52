"""BuildTree: minor versions -> patch versions -> variants, with build counts."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...catalog.models import Build
from ...catalog.view import NodePath


def _label(name: str, count: int) -> Text:
    text = Text(name)
    text.append(f" {count}", style="dim")
    return text


class BuildTree(Tree[NodePath]):
    """The version tree; its data are NodePath values the browse view filters by."""

    DEFAULT_CSS = """
    BuildTree { background: $surface; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text("all versions"), NodePath(), id=id, classes=classes)
        self.show_root = True
        self.guide_depth = 2
        self.root.expand()

    def populate(
        self, grouped: dict[str, dict[str, dict[str, list[Build]]]], keep: NodePath | None = None
    ) -> None:
        """Rebuild from catalog.group.tree() output; keep the cursor on `keep` if it exists."""
        total = sum(
            len(bs)
            for patches in grouped.values()
            for variants in patches.values()
            for bs in variants.values()
        )
        self.clear()
        self.root.set_label(_label("all versions", total))
        self.root.data = NodePath()
        target: TreeNode[NodePath] = self.root
        for minor, patches in grouped.items():
            count = sum(len(bs) for variants in patches.values() for bs in variants.values())
            minor_node = self.root.add(_label(minor, count), NodePath(minor))
            for patch, variants in patches.items():
                patch_count = sum(len(bs) for bs in variants.values())
                patch_node = minor_node.add(_label(patch, patch_count), NodePath(minor, patch))
                for variant, builds in variants.items():
                    path = NodePath(minor, patch, variant)
                    leaf = patch_node.add_leaf(_label(variant, len(builds)), path)
                    if keep == path:
                        target = leaf
                if keep == NodePath(minor, patch):
                    target = patch_node
            if keep == NodePath(minor):
                target = minor_node
        node = target.parent
        while node is not None:
            node.expand()
            node = node.parent
        self.call_after_refresh(self._move_to, target)

    def _move_to(self, node: TreeNode[NodePath]) -> None:
        self.move_cursor(node)

    @property
    def current(self) -> NodePath:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else NodePath()
