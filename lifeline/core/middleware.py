"""The interface speaks the hospital's language; API requests carry no NUL character.

Django's LocaleMiddleware follows, in order, the language the user chose in the page header
(a cookie), then the browser's Accept-Language, then LIFELINE_LANGUAGE. Lifeline skips the
browser's preference: ward PCs, cashier terminals and lobby screens often run English-locale
browsers, and staff and patients should all see the words of the hospital's plan (zh-Hans by
default). Anyone may still choose English in the header.
"""


from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _


class HospitalLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class NoNulCharactersMiddleware:
    """No text Lifeline stores may hold a NUL character: PostgreSQL refuses it in text columns
    (a 500 deep inside a save), SQLite would keep it. An API request carrying one, in its body or
    its query, is refused before any view runs, in the API's one error shape."""

    REFUSED = (b"\x00", b"\\u0000")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/") and self._carries_nul(request):
            message = _("the request holds a NUL character, which no text field may contain")
            return JsonResponse({"errors": [{"field": "", "message": message}]}, status=400)
        return self.get_response(request)

    def _carries_nul(self, request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return True
        try:
            body = request.body
        except RequestDataTooBig:  # the API's own handler answers 413
            return False
        return any(mark in body for mark in self.REFUSED)
