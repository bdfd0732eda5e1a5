import { Suspense } from "react";
import { ReportView } from "@/components/report/ReportView";
import { LoadingBlock } from "@/components/ui/Spinner";
import "./report.css";

/** The customer report (`?anonymised=1`: the variant for third parties); printable, and the server's PDF. */
export default async function CustomerReportPage({
  params,
  searchParams,
}: {
  params: Promise<{ customerId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { customerId } = await params;
  const { anonymised } = await searchParams;
  return (
    <Suspense fallback={<LoadingBlock label="Preparing the report…" />}>
      <ReportView customerId={customerId} anonymised={anonymised === "1"} />
    </Suspense>
  );
}
