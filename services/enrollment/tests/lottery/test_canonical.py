"""The canonical JSON of an instance is the documented form, whatever the strings hold.

`input_sha256` is public: an auditor recomputes it with
`json.dumps(instance, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` in UTF-8.
The service writes it with a faster encoder; these properties hold the two byte for byte.
"""

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.lottery.schemas import AssignmentRunCreate
from enrollment.lottery.service import canonical_instance, canonical_json


def documented(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# any Unicode text a JSON request can carry: control characters, quotes, backslashes, CJK,
# U+2028/2029, astral planes; lone surrogates cannot arrive in valid UTF-8
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), text
)  # beyond 64 bits too: those take the standard library
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_of_strings_integers_booleans_and_null_is_written_as_documented(
    document: Any,
) -> None:
    assert canonical_json(document) == documented(document)


@settings(max_examples=100, deadline=None)
@given(
    seed=text.filter(bool),
    codes=st.lists(st.from_regex(r"\A[0-9]{10}\Z"), min_size=1, max_size=3, unique=True),
    ids=st.lists(text.filter(bool), min_size=1, max_size=3, unique=True),
    capacity=st.integers(0, 10_000),
)
def test_an_instance_hashes_over_the_documented_form(
    seed: str, codes: list[str], ids: list[str], capacity: int
) -> None:
    request = AssignmentRunCreate.model_validate(
        {
            "seed": seed,
            "mechanism": "deferred_acceptance",
            "tie_breaking": "single",
            "schools": [{"school_code": c, "capacity": capacity} for c in codes],
            "applicants": [
                {
                    "application_id": i,
                    "preferences": list(reversed(codes)),
                    "priorities": {c: n for n, c in enumerate(reversed(codes), start=1)},
                }
                for i in ids
            ],
        }
    )
    assert canonical_instance(request) == documented(request.model_dump(mode="json"))
