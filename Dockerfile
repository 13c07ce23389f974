# One image for the three services: `docker run kerjasama:0.1.0 services.agreements`
# (or services.notifications, services.reporting). Built from pyproject.toml with the exact
# versions of constraints.txt; deploy/compose.yaml builds it as kerjasama:0.1.0.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/kerjasama
COPY pyproject.toml constraints.txt README.md ./
COPY contracts contracts
COPY plumbing plumbing
COPY services services
# The generators of the broker definitions and the database roles (credentials init).
COPY deploy/__init__.py deploy/
COPY deploy/rabbitmq/__init__.py deploy/rabbitmq/definitions.py deploy/rabbitmq/
COPY deploy/postgres/__init__.py deploy/postgres/roles.py deploy/postgres/
RUN /opt/kerjasama/bin/pip install --constraint constraints.txt .

FROM python:3.11-slim-bookworm
# The key and credential directories belong to the services' user: a new volume mounted on
# one takes its owner and mode, so the compose stack's auth-init (kerjasama keys init) and
# credentials-init (kerjasama credentials init) can write there. Those a server of another
# user reads (RabbitMQ, PostgreSQL, Grafana) may be entered by all; the rest by the owner.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin kerjasama \
    && install -d -o kerjasama -g kerjasama -m 0700 /var/lib/kerjasama/auth/public \
       /var/lib/kerjasama/auth/operator /var/lib/kerjasama/auth/notifications \
       /var/lib/kerjasama/auth/reporting /var/lib/kerjasama/auth/portal \
       /var/lib/kerjasama/auth/agreements \
       /var/lib/kerjasama/credentials/operator \
       /var/lib/kerjasama/credentials/agreements /var/lib/kerjasama/credentials/notifications \
       /var/lib/kerjasama/credentials/reporting /var/lib/kerjasama/credentials/portal \
       /var/lib/kerjasama/credentials/agreements-migrate /var/lib/kerjasama/documents \
    && install -d -o kerjasama -g kerjasama -m 0755 /var/lib/kerjasama/credentials/rabbitmq \
       /var/lib/kerjasama/credentials/postgres-init /var/lib/kerjasama/credentials/postgres \
       /var/lib/kerjasama/credentials/grafana
COPY --from=build /opt/kerjasama /opt/kerjasama
ENV PATH=/opt/kerjasama/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KERJASAMA_HTTP_HOST=0.0.0.0
USER 10001
WORKDIR /home/kerjasama
EXPOSE 8001 8002 8003 8004
ENTRYPOINT ["python", "-m"]
CMD ["services.agreements"]
