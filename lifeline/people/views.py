from django.shortcuts import render


def organisation(request):
    return render(request, "base.html")


def roster(request):
    return render(request, "base.html")
