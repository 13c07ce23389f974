-- A figure is complete unless a parked stream may be missing from it (DESIGN §3a).
ALTER TABLE figures ADD COLUMN complete boolean NOT NULL DEFAULT true;
