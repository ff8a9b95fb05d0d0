"""A flame graph (SVG) from py-spy's collapsed stacks (`--format raw`: one `frame;frame;... count` per line).

Drawn here rather than by a second py-spy run in `--format flamegraph`: one sampling run gives both the summary in
latest.md and the picture. Root at the bottom, a frame's width is its share of the samples; hovering shows the
frame and its share. The project's own frames are blue, the rest warm colours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html import escape

WIDTH = 1400
ROW = 17
FONT = 11
MIN_WIDTH = 0.5  # px: narrower frames are not drawn


@dataclass
class Node:
    name: str
    count: int = 0
    children: dict[str, Node] = field(default_factory=dict)


def parse(collapsed: str) -> Node:
    root = Node("all")
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        root.count += n
        node = root
        for frame in stack.split(";"):
            if not frame:
                continue
            node = node.children.setdefault(frame, Node(frame))
            node.count += n
    return root


def _depth(node: Node) -> int:
    return 1 + max((_depth(child) for child in node.children.values()), default=0)


def _colour(name: str, project_dirs: tuple[str, ...]) -> str:
    digest = hashlib.md5(name.encode()).digest()
    if any(f"({d}" in name or f"/{d}" in name for d in project_dirs):
        return f"rgb({60 + digest[0] % 50},{110 + digest[1] % 60},{200 + digest[2] % 55})"
    return f"rgb({205 + digest[0] % 50},{80 + digest[1] % 120},{40 + digest[2] % 50})"


def render(collapsed: str, title: str, project_dirs: tuple[str, ...] = ()) -> str:
    """The SVG text of the collapsed stacks' flame graph."""
    root = parse(collapsed)
    depth = _depth(root)
    height = (depth + 2) * ROW + 10
    total = max(root.count, 1)
    scale = (WIDTH - 20) / total
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="{FONT}">',
        f'<rect width="100%" height="100%" fill="#fdfdf6"/><text x="10" y="{ROW}" font-size="{FONT + 3}">'
        f"{escape(title)} ({root.count:,} samples)</text>",
    ]

    def draw(node: Node, x: float, level: int) -> None:
        width = node.count * scale
        if width < MIN_WIDTH:
            return
        y = height - (level + 1) * ROW - 5
        share = node.count / total
        label = escape(node.name)
        parts.append(
            f"<g><title>{label} — {share:.1%} ({node.count:,} samples)</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW - 1}" rx="2" '
            f'fill="{_colour(node.name, project_dirs)}"/>'
        )
        chars = int(width / (FONT * 0.6)) - 1
        if chars >= 3:
            text = node.name if len(node.name) <= chars else node.name[: chars - 1] + "…"
            parts.append(f'<text x="{x + 3:.1f}" y="{y + ROW - 5}">{escape(text)}</text>')
        parts.append("</g>")
        for child in sorted(node.children.values(), key=lambda child: child.name):
            draw(child, x, level + 1)
            x += child.count * scale

    draw(root, 10.0, 0)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
