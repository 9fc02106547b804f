/** How every corruption diagnostic ends: what to do, and that trop changed nothing. */
export const RECOVERY =
  "Make a copy before recovery; restore a known-good database or delete the disposable database and recreate its reservations. trop did not modify or repair the stored data"
