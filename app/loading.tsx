import { LoadingBlock } from "@/components/ui/Spinner";

export default function Loading() {
  return <LoadingBlock label="Loading…" className="py-24" />;
}
