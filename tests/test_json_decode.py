"""The JSON reader's direct scan answers exactly as the decoder's own `decode` would."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from fakeserver.api.json import _decode, _decoder

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
_AROUND = st.sampled_from(["", " ", "\n", "\t ", "x", "}", "1", '"'])


def _outcome(decode: object, text: str) -> object:
    try:
        return ("value", decode(text))  # type: ignore[operator]
    except json.JSONDecodeError as error:
        return ("error", str(error))


@given(_JSON_VALUES, _AROUND, _AROUND)
@example(None, "", "")
def test_a_value_with_anything_around_it_reads_as_decode_reads_it(
    value: object, before: str, after: str
) -> None:
    text = before + json.dumps(value) + after
    assert _outcome(_decode, text) == _outcome(_decoder.decode, text)


@given(st.text(max_size=40))
@example("")
@example('{"content": "unterminated')
@example("[1, 2,]")
@example("NaN")
def test_any_text_reads_as_decode_reads_it(text: str) -> None:
    assert _outcome(_decode, text) == _outcome(_decoder.decode, text)
