"""What the manifests are checked against, read from the project's own sources.

* The `TREATY_*` variables the code reads: `VARIABLES` in `crates/runtime/src/config.rs`.
* Who calls whom: the "Services" table of `README.md` (DESIGN.md §3, kept in the repository).

The Rust source is not compiled here, so `config.rs` is read by a deliberately narrow parse of two
shapes that `rustfmt` keeps stable, and anything else fails loudly instead of guessing:

    pub const LISTEN_ADDR: &str = "TREATY_LISTEN_ADDR";     // a named variable
    pub const VARIABLES: &[&str] = &[LISTEN_ADDR, ...];      // the list the code reads

Only the constants listed in `VARIABLES` count (that list is what `Config::from_lookup` reads, and
`config_tests.rs` keeps the two in step). A name in `VARIABLES` that is not such a constant, or a
value without the `TREATY_` prefix, is an error, as is a file without `VARIABLES`.
"""

from __future__ import annotations

import re

__all__ = ["SourceError", "treaty_variables", "call_graph"]


class SourceError(ValueError):
    """The project's sources are not in the shape this parse understands."""


_CONST = re.compile(
    r"""^[ \t]*pub[ \t]+const[ \t]+(?P<name>[A-Z][A-Z0-9_]*)[ \t]*:[ \t]*&(?:'static[ \t]+)?str[ \t]*=[ \t]*
        "(?P<value>[^"\\]*)"[ \t]*;""",
    re.MULTILINE | re.VERBOSE,
)
_VARIABLES = re.compile(
    r"""pub[ \t]+const[ \t]+VARIABLES[ \t]*:[ \t]*&(?:'static[ \t]+)?\[[ \t]*&(?:'static[ \t]+)?str[ \t]*\]
        \s*=\s*&\[(?P<body>[^\]]*)\]\s*;""",
    re.VERBOSE,
)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_LITERAL = re.compile(r'^"(TREATY_[A-Z0-9_]+)"$')


def treaty_variables(config_rs: str) -> frozenset[str]:
    """Returns every `TREATY_*` name listed in `VARIABLES` of `config.rs`'s text."""
    consts = {m["name"]: m["value"] for m in _CONST.finditer(config_rs)}
    found = _VARIABLES.search(config_rs)
    if found is None:
        raise SourceError("config.rs: no `pub const VARIABLES: &[&str] = &[...];` found")
    names: set[str] = set()
    # The list holds identifiers and, possibly, string literals; neither contains `//` or `,`.
    body = _LINE_COMMENT.sub("", found["body"])
    for item in (part.strip() for part in body.split(",")):
        if not item:
            continue
        if _IDENT.match(item):
            if item not in consts:
                raise SourceError(f"config.rs: VARIABLES lists {item}, which is not a `pub const {item}: &str = \"...\";`")
            value = consts[item]
        elif literal := _LITERAL.match(item):
            value = literal[1]
        else:
            raise SourceError(f"config.rs: cannot read the VARIABLES entry {item!r}")
        if not re.fullmatch(r"TREATY_[A-Z0-9_]+", value):
            raise SourceError(f"config.rs: VARIABLES entry {item} is {value!r}, not a TREATY_* name")
        names.add(value)
    if not names:
        raise SourceError("config.rs: VARIABLES is empty")
    return frozenset(names)


def call_graph(readme: str) -> dict[str, frozenset[str]]:
    """Returns {service: the services it calls} from the README's "## Services" table.

    The table has a first column with the service's short name in backticks and a column headed
    `calls` listing callees by short name, comma-separated, or `—` for none.
    """
    section = re.search(r"^## Services\s*$(?P<body>.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if section is None:
        raise SourceError("README.md: no '## Services' section")
    rows = [line.strip() for line in section["body"].splitlines() if line.strip().startswith("|")]
    if len(rows) < 3:
        raise SourceError("README.md: the Services section has no table")
    header = [cell.strip().lower() for cell in rows[0].strip("|").split("|")]
    if "calls" not in header:
        raise SourceError("README.md: the Services table has no 'calls' column")
    calls_at = header.index("calls")
    graph: dict[str, frozenset[str]] = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        name = cells[0].strip("`")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
            raise SourceError(f"README.md: Services row {row!r} does not start with a `short-name`")
        callees = cells[calls_at]
        graph[name] = frozenset() if callees in ("—", "-", "") else frozenset(
            c.strip().strip("`") for c in callees.split(",")
        )
    for name, callees in graph.items():
        unknown = callees - graph.keys()
        if unknown:
            raise SourceError(f"README.md: {name} calls {', '.join(sorted(unknown))}, which is not a service in the table")
    return graph
