import { describe, expect, it } from 'vitest';
import { initialPaged, pagedReducer } from './pagedList';
import { nextActive, scrollToShow, virtualWindow } from './virtual';

describe('pagedReducer', () => {
  it('appends pages until there is no next cursor', () => {
    let s = pagedReducer<number>(initialPaged(''), { type: 'reset', query: 'q' });
    expect(s.loading).toBe(true);
    s = pagedReducer(s, { type: 'page', query: 'q', page: { items: [1, 2], next_cursor: 'c2', total: 3 } });
    expect(s).toMatchObject({ items: [1, 2], cursor: 'c2', done: false, loading: false, total: 3, pages: 1 });
    s = pagedReducer(s, { type: 'loading', query: 'q' });
    s = pagedReducer(s, { type: 'page', query: 'q', page: { items: [3], next_cursor: null } });
    expect(s).toMatchObject({ items: [1, 2, 3], done: true, total: 3, pages: 2 });
  });
  it('drops answers for a query that is no longer current', () => {
    let s = pagedReducer<number>(initialPaged(''), { type: 'reset', query: 'old' });
    s = pagedReducer(s, { type: 'reset', query: 'new' });
    const stale = pagedReducer(s, { type: 'page', query: 'old', page: { items: [9], next_cursor: null } });
    expect(stale).toBe(s);
    const staleError = pagedReducer(s, { type: 'error', query: 'old', error: new Error('x') });
    expect(staleError.error).toBeNull();
  });
  it('keeps what was loaded when a later page fails', () => {
    let s = pagedReducer<number>(initialPaged(''), { type: 'reset', query: 'q' });
    s = pagedReducer(s, { type: 'page', query: 'q', page: { items: [1], next_cursor: 'c' } });
    s = pagedReducer(s, { type: 'error', query: 'q', error: new Error('502') });
    expect(s).toMatchObject({ items: [1], cursor: 'c', loading: false });
    expect(s.error?.message).toBe('502');
  });
});

describe('virtual list', () => {
  it('renders only the visible rows plus overscan', () => {
    expect(virtualWindow(20000, 50, 0, 400, 5)).toEqual({ start: 0, end: 13, offsetTop: 0, totalHeight: 1000000 });
    expect(virtualWindow(20000, 50, 500000, 400, 5)).toEqual({ start: 9995, end: 10013, offsetTop: 499750, totalHeight: 1000000 });
    const last = virtualWindow(20000, 50, 1000000 - 400, 400, 5);
    expect(last.end).toBe(20000);
    expect(virtualWindow(0, 50, 0, 400)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });
  it('scrolls just enough to show the active row', () => {
    expect(scrollToShow(0, 50, 100, 400)).toBe(0);
    expect(scrollToShow(10, 50, 0, 400)).toBe(150);
    expect(scrollToShow(4, 50, 0, 400)).toBe(0);
  });
  it('keys move the active row within bounds', () => {
    expect(nextActive('ArrowDown', -1, 5, 3)).toBe(0);
    expect(nextActive('ArrowDown', 4, 5, 3)).toBe(4);
    expect(nextActive('ArrowUp', 0, 5, 3)).toBe(0);
    expect(nextActive('PageDown', 1, 5, 3)).toBe(4);
    expect(nextActive('End', 0, 5, 3)).toBe(4);
    expect(nextActive('Home', 3, 5, 3)).toBe(0);
    expect(nextActive('a', 3, 5, 3)).toBeNull();
    expect(nextActive('ArrowDown', 0, 0, 3)).toBeNull();
  });
});
