-- Collections are queued ("Collect now", the schedule) and run by a worker in a process of its own.
ALTER TYPE "run_status" ADD VALUE IF NOT EXISTS 'queued' BEFORE 'running';
