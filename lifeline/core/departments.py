"""The organisation's departments, for apps that may not ask the people app themselves.

The people app registers where its departments come from (its members' `department`); the plans
app asks here which departments exist, to show a plan's unmatched card departments.
"""
_sources = []


def register(source) -> None:
    """`source()` returns an iterable of department names."""
    if source not in _sources:
        _sources.append(source)


def known() -> set[str]:
    """Every department the organisation has (empty names left out)."""
    return {name for source in _sources for name in source() if name}
