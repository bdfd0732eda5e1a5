-- Sign-in lockout per account and client address, with an account-wide delay that addresses the
-- owner signed in from before skip (server/auth/lockout.ts). Replaces the per-account counter that
-- was kept in rate_limit, which better-auth prunes to its own 60-second window.
DELETE FROM "rate_limit" WHERE "key" LIKE 'signin-account:%';

-- CreateTable
CREATE TABLE "sign_in_failure" (
    "email" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sign_in_failure_pkey" PRIMARY KEY ("email","address")
);

-- CreateTable
CREATE TABLE "sign_in_address" (
    "user_id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sign_in_address_pkey" PRIMARY KEY ("user_id","address")
);

-- CreateIndex
CREATE INDEX "sign_in_failure_last_at_idx" ON "sign_in_failure"("last_at");

-- AddForeignKey
ALTER TABLE "sign_in_address" ADD CONSTRAINT "sign_in_address_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
