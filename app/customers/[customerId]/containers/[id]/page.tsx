import { Suspense } from "react";
import { ContainerView } from "@/components/objects/ContainerView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function Page({ params }: { params: Promise<{ customerId: string; id: string }> }) {
  const { customerId, id } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" />}>
      <ContainerView customerId={customerId} id={id} />
    </Suspense>
  );
}
