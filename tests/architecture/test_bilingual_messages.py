"""Every problem text our code writes is bilingual (issue 18 item 4): a `FieldError`'s message,
a `DomainError`'s detail and an error class's title are `t("中文", "English")`
(junheng_kit.i18n), never a single-language string literal or f-string, so the renderer can
answer in the caller's `Accept-Language`. Texts computed elsewhere (a variable, a call) are not
judged here."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    ROOT / "libs/kit/src/junheng_kit",
    ROOT / "gateway/src/gateway",
    *sorted((ROOT / "services").glob("*/src/*")),
)
BASE_ERRORS = frozenset(
    {
        "DomainError",
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "PreconditionFailed",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "InvalidInput",
        "RuleViolated",
        "PreconditionRequired",
        "TooManyRequests",
        "ServiceUnavailable",
        "GatewayTimeout",
    }
)


def _modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for source in SOURCES
        for path in sorted(source.rglob("*.py"))
    ]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def error_classes(modules: list[tuple[Path, ast.Module]]) -> frozenset[str]:
    """DomainError and every class that subclasses it, by name, anywhere in our code."""
    names = set(BASE_ERRORS)
    classes = [n for _, m in modules for n in ast.walk(m) if isinstance(n, ast.ClassDef)]
    grown = True
    while grown:
        grown = False
        for node in classes:
            if node.name not in names and any(_name(b) in names for b in node.bases):
                names.add(node.name)
                grown = True
    return frozenset(names)


def single_language(node: ast.expr | None) -> bool:
    """A literal text in one language: a non-empty string, an f-string, or a sum of them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value != ""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return single_language(node.left) or single_language(node.right)
    if isinstance(node, ast.IfExp):
        return single_language(node.body) or single_language(node.orelse)
    return False


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    plain = [a for a in call.args if not isinstance(a, ast.Starred)]
    if len(plain) > position and all(
        not isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return None


_RULE_PREFIX = re.compile(r"^[a-z][a-z0-9_]*: ")


def _names_a_rule(node: ast.expr) -> bool:
    """A literal that starts `rule_id: `, the form the problem renderer reads a validator's
    ValueError in."""
    first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
    return (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and bool(_RULE_PREFIX.match(first.value))
    )


def problem_texts(module: ast.Module, errors: frozenset[str]) -> Iterator[tuple[ast.expr, str]]:
    """Every expression our code gives as a problem text, with what it is: a FieldError's
    message, an error's detail, an error class's title, a constraint's declared detail
    (`on_violation(…, detail=…)`), a module constant `…_DETAIL`, and the detail of enrollment's
    admission `Problem`s."""
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            text: ast.expr | None = None
            if called == "FieldError":
                text = _argument(node, 2, "message")
            elif called in errors or called == "Problem":
                text = _argument(node, 0, "detail")
            elif called == "ValueError" and node.args and _names_a_rule(node.args[0]):
                text = node.args[0]  # a validator's "rule_id: message": RuleError(rule, t(…))
            elif called == "on_violation":
                text = next((k.value for k in node.keywords if k.arg == "detail"), None)
            if text is not None:
                yield text, f"{called} text"
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id.endswith("_DETAIL")
            for target in node.targets
        ):
            yield node.value, "_DETAIL constant"
        elif isinstance(node, ast.ClassDef) and node.name in errors:
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id == "title":
                        yield statement.value, f"{node.name}.title"
                    elif isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                        names = [_name(e) for e in target.elts]
                        if "title" in names:
                            yield statement.value.elts[names.index("title")], f"{node.name}.title"


def violations() -> Iterator[str]:
    modules = _modules()
    errors = error_classes(modules)
    for path, module in modules:
        where = path.relative_to(ROOT)
        for text, what in problem_texts(module, errors):
            if single_language(text):
                yield f"{where}:{text.lineno} {what}"


def test_every_problem_text_is_written_in_chinese_and_english() -> None:
    found = list(violations())
    assert not found, "single-language problem texts (use junheng_kit.i18n.t):\n" + "\n".join(found)


def test_the_scan_sees_single_language_literals() -> None:
    tree = ast.parse(
        'raise NotFound(f"school {code} not found", FieldError("code", "rule", "text"))'
    )
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert single_language(_argument(call, 0, "detail"))
    field_error = next(
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "FieldError"
    )
    assert single_language(_argument(field_error, 2, "message"))
    bilingual = ast.parse('NotFound(t(f"学校 {code} 不存在", f"school {code} not found"))')
    call = next(n for n in ast.walk(bilingual) if isinstance(n, ast.Call))
    assert not single_language(_argument(call, 0, "detail"))
