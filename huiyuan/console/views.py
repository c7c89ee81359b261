from django.http import HttpRequest, HttpResponse


def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("huiyuan")


def login_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("login")
