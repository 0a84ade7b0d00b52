"""BuildTree: 'all versions', then minor versions -> patch versions, each with the number of
rows the filter and facets leave (so the counts always match the table)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...catalog.view import NodePath
from .plain import plain


def _label(name: str, count: int) -> Text:
    text = plain(name)
    text.append(f" {count}", style="dim")
    return text


class BuildTree(Tree[NodePath]):
    """The version tree; its data are NodePath values the browse view filters by. The cursor
    filters the table as it moves; enter goes to the table."""

    DEFAULT_CSS = """
    BuildTree { background: $surface; }
    """
    BINDINGS = [
        Binding("enter", "to_table", "Table", show=False),
        Binding("space", "toggle_node", "Expand", show=False),
        Binding("right", "expand", "Expand", show=False),
        Binding("left", "collapse", "Collapse", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text("versions"), NodePath(), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self.root.expand()
        self._shape: list[tuple[str, list[str]]] = []
        self._counts: dict[str, dict[str, int]] | None = None

    def populate(self, counts: dict[str, dict[str, int]], keep: NodePath | None = None) -> None:
        """Rebuild from BrowseView.tree_counts(); keep the cursor on `keep` if it still exists.
        When only the counts changed, the labels are updated in place (no flicker, cursor kept)."""
        self._counts = counts
        shape = [(minor, list(patches)) for minor, patches in counts.items()]
        total = sum(n for patches in counts.values() for n in patches.values())
        if shape == self._shape and self.root.children:
            all_node, *minor_nodes = self.root.children
            all_node.set_label(self._all_label(total))
            for node, (minor, patches) in zip(minor_nodes, counts.items(), strict=True):
                node.set_label(_label(minor, sum(patches.values())))
                for child, (patch, n) in zip(node.children, patches.items(), strict=True):
                    child.set_label(_label(patch, n))
            return
        self._shape = shape
        self.clear()
        target: TreeNode[NodePath] = self.root.add_leaf(self._all_label(total), NodePath())
        for minor, patches in counts.items():
            minor_node = self.root.add(_label(minor, sum(patches.values())), NodePath(minor))
            if keep == NodePath(minor):
                target = minor_node
            for patch, n in patches.items():
                leaf = minor_node.add_leaf(_label(patch, n), NodePath(minor, patch))
                if keep == NodePath(minor, patch):
                    target = leaf
                    minor_node.expand()
        self.call_after_refresh(self.move_cursor, target)

    def _all_label(self, total: int) -> Text:
        """'all versions 17', or 'all 23346' where the tree is too narrow for the long one (a
        count cut short reads as another number)."""
        label = _label("all versions", total)
        room = self.scrollable_content_region.width
        return label if room <= 0 or label.cell_len <= room else _label("all", total)

    def on_resize(self) -> None:
        if self._counts is not None:  # the same shape: only the labels change
            self.populate(self._counts, keep=self.current)

    @property
    def current(self) -> NodePath:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else NodePath()

    def action_to_table(self) -> None:
        self.screen.set_focus(self.screen.query_one("#table"))

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse(self) -> None:
        """Collapse the node; on a patch (or a closed minor), go up to its minor."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)
