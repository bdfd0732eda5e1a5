/** The streaming .xlsx writer moved to server/export/xlsx-writer.ts (the table exports share it); kept for the RVTools imports. */
export * from "../xlsx-writer";
