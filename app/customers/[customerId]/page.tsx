import { Suspense } from "react";
import { CustomerView } from "@/components/customers/CustomerView";
import { LoadingBlock } from "@/components/ui/Spinner";

export default async function CustomerPage({ params }: { params: Promise<{ customerId: string }> }) {
  const { customerId } = await params;
  return (
    <Suspense fallback={<LoadingBlock label="Loading customer…" />}>
      <CustomerView customerId={customerId} />
    </Suspense>
  );
}
