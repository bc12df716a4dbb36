import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, parseCsvRecord, splitCsvRecords } from './csv.js';

describe('csvField', () => {
  it('leaves plain fields alone and quotes those with a quote, comma, CR or LF (RFC 4180)', () => {
    expect(csvField('')).toBe('');
    expect(csvField('app-1@123.onaliyun.com')).toBe('app-1@123.onaliyun.com');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  it('ends every record with CRLF', () => {
    expect(csvRecord(['a', 'b c', ''])).toBe('a,b c,\r\n');
  });
});

describe('reading CSV back', () => {
  const tricky = ['x', 'a,b', 'say "hi"', 'line\r\nbreak', '', '""'];

  it('splits records on CRLF outside quotes only', () => {
    const csv = `${csvRecord(tricky)}next,row\r\n`;
    expect(splitCsvRecords(csv)).toEqual([tricky.map(csvField).join(','), 'next,row']);
    expect(splitCsvRecords('no,terminator')).toEqual(['no,terminator']);
    expect(splitCsvRecords('')).toEqual([]);
  });

  it('parses the fields of a record, undoing the quoting', () => {
    const [record = ''] = splitCsvRecords(csvRecord(tricky));
    expect(parseCsvRecord(record)).toEqual(tricky);
    expect(parseCsvRecord('')).toEqual(['']);
    expect(parseCsvRecord('a,,b,')).toEqual(['a', '', 'b', '']);
  });
});
