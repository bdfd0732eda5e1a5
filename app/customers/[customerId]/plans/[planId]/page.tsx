import { Suspense } from "react";
import { PlanView } from "@/components/plans/PlanView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function Page({ params }: { params: Promise<{ customerId: string; planId: string }> }) {
  const { customerId, planId } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading plan…" />}>
      <PlanView customerId={customerId} planId={planId} />
    </Suspense>
  );
}
