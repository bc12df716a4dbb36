// CSV as RFC 4180 writes it: fields quoted (inner quotes doubled) only when they hold a quote, a
// comma, CR or LF, and every record ended by CRLF.

export const CRLF = '\r\n';

/** One field, quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record, CRLF included. */
export function csvRecord(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + CRLF;
}

/** Splits CSV text into its records as written (terminators removed), keeping a quoted CRLF inside its field. */
export function splitCsvRecords(csv: string): string[] {
  const records: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '\r' && csv[i + 1] === '\n') {
      records.push(csv.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  if (start < csv.length) records.push(csv.slice(start));
  return records;
}

/** The fields of one record as splitCsvRecords returns it, quotes undone. */
export function parseCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record.charAt(i);
    if (quoted) {
      if (c === '"' && record.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}
