"use client";
/** What the header's search box and the results page share. */
import { useEffect, useState } from "react";

export { MIN_CONTAINS } from "../../server/search/normalise";

/** The full results page for a text. */
export function searchPageHref(q: string): string {
  return `/search?q=${encodeURIComponent(q)}`;
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
