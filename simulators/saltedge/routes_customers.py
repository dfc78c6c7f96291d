"""``/customers``: create (an identifier is unique: ``DuplicatedCustomer``),
list, show, remove (its connections go with it)."""

from ..ponto.responses import json_response
from . import serialize
from .errors import SaltEdgeError
from .store import Customer


def customer_of(sim, customer_id):
    customer = sim.world.customers.get(customer_id or "")
    if customer is None:
        raise SaltEdgeError(
            "CustomerNotFound", f"Customer with id: '{customer_id}' was not found."
        )
    return customer


def create(sim, req):
    identifier = req.data().get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        raise SaltEdgeError("WrongRequestFormat", "identifier is required.")
    if sim.world.customer_by_identifier(identifier) is not None:
        raise SaltEdgeError(
            "DuplicatedCustomer",
            f"Customer with identifier '{identifier}' already exists.",
        )
    customer = Customer(sim.world.next_id(), identifier, sim.now())
    sim.world.customers[customer.id] = customer
    return json_response(200, {"data": serialize.customer(sim, customer)})


def index(sim, req):
    customers = list(sim.world.customers.values())
    return json_response(
        200, serialize.page(sim, req, customers, lambda c: serialize.customer(sim, c))
    )


def show(sim, req):
    customer = customer_of(sim, req.params["id"])
    return json_response(200, {"data": serialize.customer(sim, customer)})


def remove(sim, req):
    customer = customer_of(sim, req.params["id"])
    for conn in list(sim.world.connections.values()):
        if conn.customer_id == customer.id:
            sim.drop_connection(conn.id)
    del sim.world.customers[customer.id]
    body = {"deleted": True, "id": customer.id, "customer_id": customer.id}
    return json_response(200, {"data": body})


ROUTES = [
    ("api", "POST", r"/customers", create),
    ("api", "GET", r"/customers", index),
    ("api", "GET", r"/customers/(?P<id>[^/]+)", show),
    ("api", "DELETE", r"/customers/(?P<id>[^/]+)", remove),
]
