"""Whether a process still runs: how leftovers of a killed process (a pull's private files, a
merge run's claim) are told from those of one still at work. Django-free."""
import os


def alive(pid: int) -> bool:
    """True while process `pid` of this machine runs (someone else's process counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
