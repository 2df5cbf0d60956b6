"""Schema evolution rule for events: additive only.

A new schema may add optional properties. It may not remove a property, require one that was
optional or new, or change a property's type; anything else is a new event type published beside
the old one until consumers move.
"""

from __future__ import annotations

from typing import Any


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return dict(root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {}))
    return schema


def _type_of(schema: dict[str, Any]) -> Any:
    for key in ("type", "const", "enum", "anyOf", "format", "pattern"):
        if key in schema:
            return (key, repr(schema[key]))
    return None


def incompatibilities(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str = "",
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """Why `new` cannot replace `old` for existing consumers; empty when it can."""
    old_root, new_root = old_root or old, new_root or new
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        new_prop = new_props[name]
        resolved_old, resolved_new = _resolve(old_prop, old_root), _resolve(new_prop, new_root)
        if "properties" in resolved_old:
            problems += incompatibilities(resolved_old, resolved_new, where, old_root, new_root)
        elif _type_of(resolved_old) != _type_of(resolved_new):
            problems.append(
                f"{where}: type changed {_type_of(resolved_old)} → {_type_of(resolved_new)}"
            )
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{path + '.' if path else ''}{name}: newly required")
    return problems


def assert_additive(*, old: dict[str, Any], new: dict[str, Any]) -> None:
    problems = incompatibilities(old, new)
    if problems:
        raise AssertionError("incompatible event schema change: " + "; ".join(problems))
