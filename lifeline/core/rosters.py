"""Which plan roles the duty rosters cover, for apps that may not ask the people app themselves.

The people app registers where its rosters come from; the plans app asks here which roles some
roster fills (`lifeline plan check --roster`, the plan page), to warn about roles nobody covers.
"""
_sources = []


def register(source) -> None:
    """`source()` returns an iterable of plan role ids some roster fills."""
    if source not in _sources:
        _sources.append(source)


def covered() -> set[str]:
    return {role for source in _sources for role in source() if role}
