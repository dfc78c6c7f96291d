"""Response value objects returned by the route handlers."""

from .util import dumps


class Response:
    def __init__(self, status, body=b"", content_type="application/json", headers=None):
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = dict(headers or {})
        self.obj = None  # the JSON object, when there is one

    def __repr__(self):
        return f"<Response {self.status}>"


def json_response(status, obj, headers=None):
    resp = Response(status, dumps(obj).encode(), "application/json", headers)
    resp.obj = obj
    return resp


def html_response(status, body):
    return Response(status, body, "text/html; charset=utf-8")


def redirect(location):
    return Response(302, b"", "text/plain", {"Location": location})
