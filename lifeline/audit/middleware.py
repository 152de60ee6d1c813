from lifeline.core.actor import acting_as


class ActorMiddleware:
    """Changes made while answering a request are recorded as made by the request's user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(request):
            return self.get_response(request)
