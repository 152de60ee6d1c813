"""The interface speaks the hospital's language.

Django's LocaleMiddleware follows, in order, the language the user chose in the page header
(a cookie), then the browser's Accept-Language, then LIFELINE_LANGUAGE. Lifeline skips the
browser's preference: ward PCs, cashier terminals and lobby screens often run English-locale
browsers, and staff and patients should all see the words of the hospital's plan (zh-Hans by
default). Anyone may still choose English in the header.
"""


class HospitalLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
