-- One role per service, each owning the database it creates at its first start
-- (plumbing.db.ensure_database connects to "postgres" and runs CREATE DATABASE).
-- Development passwords: they must match the database URLs in deploy/compose.yaml.
CREATE ROLE kerjasama_agreements LOGIN CREATEDB PASSWORD 'agreements-db-dev';
CREATE ROLE kerjasama_notifications LOGIN CREATEDB PASSWORD 'notifications-db-dev';
CREATE ROLE kerjasama_reporting LOGIN CREATEDB PASSWORD 'reporting-db-dev';
