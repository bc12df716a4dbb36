// displayWidth and the tables and field blocks aligned by it: CJK, emoji and combining marks.
import { describe, expect, it } from 'vitest';
import { displayWidth, formatFields, formatTable, shellArg } from './output.js';

describe('displayWidth', () => {
  it('counts East Asian wide and fullwidth characters as two columns', () => {
    expect(displayWidth('管理员')).toBe(6);
    expect(displayWidth('テスト')).toBe(6);
    expect(displayWidth('관리자')).toBe(6);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('app-1 管理')).toBe(10);
  });

  it('counts an emoji as two columns, a ZWJ sequence, a flag and a keycap once', () => {
    expect(displayWidth('👍')).toBe(2);
    expect(displayWidth('👩‍💻')).toBe(2);
    expect(displayWidth('🇯🇵')).toBe(2);
    expect(displayWidth('❤️')).toBe(2);
    expect(displayWidth('1️⃣')).toBe(2);
    expect(displayWidth('ok 👍')).toBe(5);
  });

  it('counts combining marks and format characters as nothing', () => {
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('Jose\u0301')).toBe(4);
    expect(displayWidth('a\u200bb')).toBe(2);
    expect(displayWidth('\u0301')).toBe(0);
    expect(displayWidth('')).toBe(0);
  });

  it('counts ASCII and other narrow letters as one column each', () => {
    expect(displayWidth('AccessKeyId')).toBe(11);
    expect(displayWidth('Ünïcödé')).toBe(7);
    expect(displayWidth('Ωμέγα')).toBe(5);
  });
});

describe('formatTable', () => {
  it('aligns columns by display width when cells hold CJK and emoji', () => {
    const text = formatTable(
      ['USER NAME', 'DISPLAY NAME', 'CREATED'],
      [
        ['app', '管理员', '2026-01-01'],
        ['bot', 'Bot 👍', '2026-01-02'],
        ['jose', 'Jose\u0301', '2026-01-03'],
      ],
    );
    const lines = text.trimEnd().split('\n');
    // The third column starts at the same display column on every line: 9 + 2, then 12 + 2.
    const start = (line: string, cell: string) => displayWidth(line.slice(0, line.indexOf(cell)));
    expect(lines.map((line, i) => start(line, i === 0 ? 'CREATED' : '2026'))).toEqual([25, 25, 25, 25]);
    expect(lines[1]).toBe('app        管理员        2026-01-01');
  });

  it('prints (none) for no rows', () => {
    expect(formatTable(['A'], [])).toBe('(none)\n');
  });
});

describe('formatFields', () => {
  it('aligns values after keys of any width, leaving out undefined values', () => {
    expect(formatFields({ 名前: 'x', Status: 'Active', Gone: undefined })).toBe(
      '名前:   x\nStatus: Active\n',
    );
  });
});

describe('shellArg', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(shellArg('LTAI5tQbench7Xk2mNpq3Rs9')).toBe('LTAI5tQbench7Xk2mNpq3Rs9');
    expect(shellArg('/tmp/ramkey data')).toBe("'/tmp/ramkey data'");
    expect(shellArg("it's")).toBe("'it'\\''s'");
    expect(shellArg('$HOME')).toBe("'$HOME'");
  });
});
