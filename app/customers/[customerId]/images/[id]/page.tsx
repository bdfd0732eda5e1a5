import { Suspense } from "react";
import { ImageView } from "@/components/objects/ImageView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function Page({ params }: { params: Promise<{ customerId: string; id: string }> }) {
  const { customerId, id } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading…" />}>
      <ImageView customerId={customerId} id={id} />
    </Suspense>
  );
}
