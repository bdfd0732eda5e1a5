import { Suspense } from "react";
import { VmView } from "@/components/objects/VmView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function Page({ params }: { params: Promise<{ customerId: string; id: string }> }) {
  const { customerId, id } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" />}>
      <VmView customerId={customerId} id={id} />
    </Suspense>
  );
}
