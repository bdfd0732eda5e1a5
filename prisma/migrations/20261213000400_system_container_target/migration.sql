-- A migration plan's target "system-container" (issue 20): a VM moved whole into an LXD/Incus system container.
ALTER TYPE "migration_target" ADD VALUE 'system-container' AFTER 'container';
