-- The customer report's anonymised variant (issue 18): each original name, address or id of a
-- customer gets one alias ("host-007", "ip-0007", "Customer A"), kept so that the same original
-- has the same alias in every report. The mapping never leaves the server (server/report/anonymise.ts).
CREATE TABLE "anonymised_name" (
    "customer_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "original" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "anonymised_name_pkey" PRIMARY KEY ("customer_id", "kind", "original")
);

CREATE UNIQUE INDEX "anonymised_name_customer_id_kind_alias_key" ON "anonymised_name"("customer_id", "kind", "alias");

ALTER TABLE "anonymised_name" ADD CONSTRAINT "anonymised_name_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
