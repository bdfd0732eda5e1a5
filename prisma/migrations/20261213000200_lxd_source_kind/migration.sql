-- The lxd source kind (issue 20): LXD servers and clusters over their REST API.
ALTER TYPE "source_kind" ADD VALUE 'lxd';
