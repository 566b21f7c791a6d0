// Dates of the cases pages: the API's ISO days (YYYY-MM-DD) shown as dd/mm/yyyy.
export function formatDay(iso) {
  if (!iso) return '';
  const [y, m, d] = String(iso).split('-');
  return `${d}/${m}/${y}`;
}
