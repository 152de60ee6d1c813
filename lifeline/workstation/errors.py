"""The workstation's one refusal, shaped like the server's (`lifeline.core.errors.Refused`) so
pages show both the same way, but without Django: the workstation runs without the server."""


class StationRefused(Exception):
    """An action the station will not do; `field` names the input at fault ("" for the action
    as a whole). Raised before anything is written: a refusal leaves the journal as it was."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}" if field else message)
