"""Roster from Python: the README's quickstart with a client generated from proto/.

Creates a user, a role with a permission, assigns it, creates a personal access
token (PAT) with a scope, exchanges it for an access token, reads the user's
logs with that token, and shows how to read an error's ErrorInfo reason.

    examples/python/setup.sh      # venv + generated code in examples/python/gen
    ROSTER_KEY=... .tools/python/bin/python examples/python/quickstart.py
"""

import os
import secrets
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from roster.token.v1 import token_service_pb2, token_service_pb2_grpc  # noqa: E402
from roster.user.v1 import (  # noqa: E402
    role_pb2,
    role_service_pb2,
    role_service_pb2_grpc,
    user_log_pb2,
    user_service_pb2,
    user_service_pb2_grpc,
)

USER_SERVICE = os.environ.get("ROSTER_USER_SERVICE", "127.0.0.1:50051")
TOKEN_SERVICE = os.environ.get("ROSTER_TOKEN_SERVICE", "127.0.0.1:50052")


def bearer(credential):
    return [("authorization", f"Bearer {credential}")]


def error_info(error):
    """The google.rpc.ErrorInfo of a failed call: its stable reason and metadata."""
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def main():
    admin = bearer(os.environ["ROSTER_KEY"])
    with grpc.insecure_channel(USER_SERVICE) as user_channel, grpc.insecure_channel(TOKEN_SERVICE) as token_channel:
        users = user_service_pb2_grpc.UserServiceStub(user_channel)
        roles = role_service_pb2_grpc.RoleServiceStub(user_channel)
        tokens = token_service_pb2_grpc.TokenServiceStub(token_channel)
        suffix = secrets.token_hex(3)

        user = users.CreateUser(
            user_service_pb2.CreateUserRequest(username=f"grace-{suffix}", primary_email=f"Grace.{suffix}@Example.com"),
            metadata=admin,
        ).user
        print(f"user: {user.id} {user.username} {user.primary_email}")

        role = roles.CreateRole(
            role_service_pb2.CreateRoleRequest(role=role_pb2.Role(name=f"log-reader-{suffix}", permissions=["roster:logs:read"])),
            metadata=admin,
        ).role
        roles.AssignUserRoles(role_service_pb2.AssignUserRolesRequest(user_id=user.id, role_ids=[role.id]), metadata=admin)
        print(f"role: {role.name} {' '.join(role.permissions)}")

        created = tokens.CreatePersonalAccessToken(
            token_service_pb2.CreatePersonalAccessTokenRequest(user_id=user.id, name="python", scopes=["roster:logs:read"]),
            metadata=admin,
        )
        print(f"pat: {created.personal_access_token.hint}")

        # The PAT is the credential of the exchange itself: no metadata.
        exchanged = tokens.ExchangePersonalAccessToken(
            token_service_pb2.ExchangePersonalAccessTokenRequest(personal_access_token=created.secret)
        )
        print(f"access token scopes: {' '.join(exchanged.scopes)}")

        logs = users.ListUserLogs(user_service_pb2.ListUserLogsRequest(user_id=user.id), metadata=bearer(exchanged.access_token))
        events = [user_log_pb2.UserLogEvent.Name(entry.event) for entry in logs.user_logs]
        print(f"logs: {' '.join(events)}")

        # The token holds roster:logs:read only: reading the user itself is refused.
        try:
            users.GetUser(user_service_pb2.GetUserRequest(user_id=user.id), metadata=bearer(exchanged.access_token))
        except grpc.RpcError as error:
            info = error_info(error)
            print(f"error: {error.code().name} {info.reason} scope={info.metadata['scope']}")


if __name__ == "__main__":
    main()
