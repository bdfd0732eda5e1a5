import { Suspense } from "react";
import { HostView } from "@/components/objects/HostView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function Page({ params }: { params: Promise<{ customerId: string; id: string }> }) {
  const { customerId, id } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" />}>
      <HostView customerId={customerId} id={id} />
    </Suspense>
  );
}
