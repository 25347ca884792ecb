-- Users who sign in through an OpenID Connect provider: identified by the provider (issuer) and
-- its subject id, with no password of their own (a password login cannot reach them).
ALTER TABLE "app_user" ALTER COLUMN "password_hash" DROP NOT NULL;
ALTER TABLE "app_user" ADD COLUMN "external_issuer" TEXT;
ALTER TABLE "app_user" ADD COLUMN "external_subject" TEXT;
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_password_or_external_check"
    CHECK ("password_hash" IS NOT NULL OR ("external_issuer" IS NOT NULL AND "external_subject" IS NOT NULL));

-- CreateIndex
CREATE UNIQUE INDEX "app_user_external_issuer_external_subject_key" ON "app_user"("external_issuer", "external_subject");
