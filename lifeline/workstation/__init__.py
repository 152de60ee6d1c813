"""应急工作站: the emergency workstation. Django-free: it imports only the canonical model and
the package format, so a registration, cashier or pharmacy PC runs it without the server."""
