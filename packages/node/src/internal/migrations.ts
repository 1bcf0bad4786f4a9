/**
 * The store's schema as an ordered list of migrations. Each runs once, in its own transaction,
 * and records itself in schema_version; a migration is never edited after release, only appended.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'identifier lists, rounds, matches, quotas, peer heads, audit log, transcripts',
    sql: `
      -- Identifier lists hold digests and metadata only; raw identifier values never reach the store.
      CREATE TABLE lists (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL UNIQUE,
        kind        TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE ingests (
        id           INTEGER PRIMARY KEY,
        list_id      INTEGER NOT NULL REFERENCES lists(id),
        source       TEXT    NOT NULL,
        accepted     INTEGER NOT NULL,
        duplicates   INTEGER NOT NULL,
        rejected     INTEGER NOT NULL,
        rejects_path TEXT,
        ingested_at  INTEGER NOT NULL
      ) STRICT;

      -- One row per (list, digest, local account); '' stands for "no account reference".
      CREATE TABLE list_items (
        list_id     INTEGER NOT NULL REFERENCES lists(id),
        digest      BLOB    NOT NULL CHECK (length(digest) = 32),
        account_ref TEXT    NOT NULL DEFAULT '',
        category    TEXT,
        first_seen  TEXT,
        reason      TEXT,
        ingest_id   INTEGER REFERENCES ingests(id),
        PRIMARY KEY (list_id, digest, account_ref)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX list_items_digest ON list_items (digest);

      -- One row per attempt of a round; the round id is shared by its attempts.
      CREATE TABLE rounds (
        id                 INTEGER PRIMARY KEY,
        round_id           BLOB    NOT NULL CHECK (length(round_id) = 32),
        attempt            INTEGER NOT NULL CHECK (attempt >= 1),
        peer_id            TEXT    NOT NULL,
        role               TEXT    NOT NULL CHECK (role IN ('initiator', 'responder')),
        origin             TEXT    NOT NULL CHECK (origin IN ('scheduled', 'ad-hoc')),
        slot               INTEGER,
        -- NULL until the responder has read the initiator's OFFER.
        mode               TEXT    CHECK (mode IS NULL OR mode IN ('intersection', 'cardinality')),
        status             TEXT    NOT NULL CHECK (status IN ('scheduled', 'running', 'completed', 'aborted', 'disputed')),
        reason             TEXT,
        detail             TEXT,
        created_at         INTEGER NOT NULL,
        started_at         INTEGER,
        finished_at        INTEGER,
        local_set_size     INTEGER,
        peer_set_size      INTEGER,
        intersection_size  INTEGER,
        peer_claimed_size  INTEGER,
        transcript_hash    BLOB,
        UNIQUE (round_id, attempt)
      ) STRICT;
      CREATE INDEX rounds_peer ON rounds (peer_id, created_at);
      CREATE INDEX rounds_status ON rounds (status);

      -- The round state machine, enforced by the database itself:
      -- scheduled -> running -> completed | aborted | disputed, and scheduled -> aborted.
      CREATE TRIGGER rounds_status_transition BEFORE UPDATE OF status ON rounds
      WHEN NOT (
        (OLD.status = NEW.status AND OLD.status IN ('scheduled', 'running')) OR
        (OLD.status = 'scheduled' AND NEW.status IN ('running', 'aborted')) OR
        (OLD.status = 'running' AND NEW.status IN ('completed', 'aborted', 'disputed'))
      )
      BEGIN
        SELECT RAISE(ABORT, 'illegal round status transition');
      END;
      -- A finished round is history: its row never changes again.
      CREATE TRIGGER rounds_final BEFORE UPDATE ON rounds
      WHEN OLD.status IN ('completed', 'aborted', 'disputed')
      BEGIN
        SELECT RAISE(ABORT, 'a finished round is immutable');
      END;

      CREATE TABLE matches (
        round_row        INTEGER NOT NULL REFERENCES rounds(id),
        digest           BLOB    NOT NULL CHECK (length(digest) = 32),
        peer_category    TEXT,
        peer_first_seen  TEXT,
        peer_reason      TEXT,
        PRIMARY KEY (round_row, digest)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX matches_digest ON matches (digest);

      -- Distinct round ids accepted per peer and UTC day (retries of one round count once).
      CREATE TABLE quota_usage (
        peer_id        TEXT    NOT NULL,
        day            TEXT    NOT NULL,
        rounds         INTEGER NOT NULL DEFAULT 0,
        ad_hoc_rounds  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (peer_id, day)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE quota_rounds (
        round_id  BLOB    NOT NULL PRIMARY KEY,
        peer_id   TEXT    NOT NULL,
        day       TEXT    NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Signed tree heads received from peers in their OFFERs, kept to detect split views.
      CREATE TABLE peer_heads (
        peer_id      TEXT    NOT NULL,
        tree_size    INTEGER NOT NULL,
        root         BLOB    NOT NULL,
        timestamp    INTEGER NOT NULL,
        signature    BLOB    NOT NULL,
        round_row    INTEGER REFERENCES rounds(id),
        received_at  INTEGER NOT NULL,
        PRIMARY KEY (peer_id, tree_size, root, timestamp)
      ) STRICT, WITHOUT ROWID;

      -- The RFC 9162 log (@venn/audit LogStorage): one leaf per finished round attempt, the hashes
      -- of complete subtrees (level 0 = leaf hashes), the round each leaf records, signed heads.
      CREATE TABLE log_leaves (
        idx          INTEGER PRIMARY KEY,
        leaf         BLOB    NOT NULL,
        appended_at  INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE log_nodes (
        level  INTEGER NOT NULL,
        idx    INTEGER NOT NULL,
        hash   BLOB    NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE log_rounds (
        idx        INTEGER NOT NULL PRIMARY KEY REFERENCES log_leaves(idx),
        round_row  INTEGER NOT NULL UNIQUE REFERENCES rounds(id)
      ) STRICT;
      CREATE TABLE tree_heads (
        tree_size  INTEGER NOT NULL PRIMARY KEY,
        root       BLOB    NOT NULL,
        timestamp  INTEGER NOT NULL,
        signature  BLOB    NOT NULL
      ) STRICT;
      -- The log is append-only: rows are never changed or removed.
      CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      -- Every message of a round as sent or received, for transcript bundles.
      CREATE TABLE transcript_messages (
        round_row  INTEGER NOT NULL REFERENCES rounds(id),
        seq        INTEGER NOT NULL,
        direction  TEXT    NOT NULL CHECK (direction IN ('sent', 'received')),
        message    BLOB    NOT NULL,
        PRIMARY KEY (round_row, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'evaluation budgets, accountable aborts, suspensions, refusals; quotas count a round id per day',
    sql: `
      -- node.md §5.2: what each attempt reserved and served, charged before the frames leave.
      ALTER TABLE rounds ADD COLUMN allowance INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE rounds ADD COLUMN evaluations_sent INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE rounds ADD COLUMN evaluations_received INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE rounds ADD COLUMN charged_at INTEGER;
      -- node.md §5.3, audit.md §3: who ended an aborted attempt, and whether the peer abandoned it.
      ALTER TABLE rounds ADD COLUMN ended_by TEXT CHECK (ended_by IS NULL OR ended_by IN ('initiator', 'responder'));
      ALTER TABLE rounds ADD COLUMN abandoned INTEGER NOT NULL DEFAULT 0 CHECK (abandoned IN (0, 1));
      CREATE INDEX rounds_charges ON rounds (peer_id, charged_at);

      -- Evaluations never exceed the reservation, whatever the code above the store does.
      CREATE TRIGGER rounds_within_allowance BEFORE UPDATE OF evaluations_sent ON rounds
      WHEN NEW.evaluations_sent > NEW.allowance OR NEW.evaluations_sent < OLD.evaluations_sent
      BEGIN
        SELECT RAISE(ABORT, 'evaluations beyond the attempt''s allowance');
      END;

      CREATE TABLE peer_suspensions (
        id            INTEGER PRIMARY KEY,
        peer_id       TEXT    NOT NULL,
        suspended_at  INTEGER NOT NULL,
        abandonments  INTEGER NOT NULL,
        detail        TEXT    NOT NULL,
        cleared_at    INTEGER,
        cleared_by    TEXT
      ) STRICT;
      CREATE INDEX peer_suspensions_open ON peer_suspensions (peer_id, cleared_at);

      -- node.md §5.4: refusals before an attempt was recorded, one row per (peer, id, code).
      CREATE TABLE refusals (
        peer_id   TEXT    NOT NULL,
        round_id  BLOB    NOT NULL CHECK (length(round_id) <= 64),
        code      TEXT    NOT NULL,
        detail    TEXT    NOT NULL,
        count     INTEGER NOT NULL,
        first_at  INTEGER NOT NULL,
        last_at   INTEGER NOT NULL,
        PRIMARY KEY (peer_id, round_id, code)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX refusals_last ON refusals (last_at);

      -- A round id counts against the quota of every day it is accepted on, not once forever.
      CREATE TABLE quota_rounds_by_day (
        round_id  BLOB    NOT NULL,
        peer_id   TEXT    NOT NULL,
        day       TEXT    NOT NULL,
        PRIMARY KEY (round_id, day)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO quota_rounds_by_day (round_id, peer_id, day) SELECT round_id, peer_id, day FROM quota_rounds;
      DROP TABLE quota_rounds;
      ALTER TABLE quota_rounds_by_day RENAME TO quota_rounds;
    `,
  },
  {
    version: 3,
    description: 'per-phase round timings, analyst reviews of matched accounts, log cross-check results',
    sql: `
      -- Compute time of each protocol phase of an attempt, as timed in the round worker.
      CREATE TABLE round_phases (
        round_row  INTEGER NOT NULL REFERENCES rounds(id),
        phase      TEXT    NOT NULL,
        ms         REAL    NOT NULL CHECK (ms >= 0),
        PRIMARY KEY (round_row, phase)
      ) STRICT, WITHOUT ROWID;

      -- The analyst console's decisions on matched local accounts, newest last; they never leave
      -- the node. through_row: the newest first match (a round row) the analyst had seen, so a
      -- later new match puts the account back in the queue.
      CREATE TABLE match_reviews (
        id           INTEGER PRIMARY KEY,
        account_ref  TEXT    NOT NULL,
        state        TEXT    NOT NULL CHECK (state IN ('new', 'reviewed', 'actioned', 'false-positive')),
        note         TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
        through_row  INTEGER NOT NULL,
        created_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX match_reviews_account ON match_reviews (account_ref, id);

      -- Cross-checks of this node's log against a peer's exported log (audit.md §10).
      CREATE TABLE log_cross_checks (
        id              INTEGER PRIMARY KEY,
        peer_id         TEXT    NOT NULL,
        checked_at      INTEGER NOT NULL,
        consistent      INTEGER NOT NULL CHECK (consistent IN (0, 1)),
        own_log_size    INTEGER NOT NULL,
        peer_log_size   INTEGER NOT NULL,
        matched_rounds  INTEGER NOT NULL,
        -- JSON array of {kind, lab, detail}, as the cross-check reported them.
        issues          TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX log_cross_checks_peer ON log_cross_checks (peer_id, id);
    `,
  },
  {
    version: 4,
    description: 'the life of a list: ingest sources and digests, retention, when each item was last ingested, matched items kept after removal',
    sql: `
      -- Retention per list (venn ingest --ttl); NULL keeps items until they are removed.
      ALTER TABLE lists ADD COLUMN ttl_seconds INTEGER CHECK (ttl_seconds IS NULL OR ttl_seconds > 0);
      ALTER TABLE lists ADD COLUMN ttl_basis TEXT NOT NULL DEFAULT 'ingest' CHECK (ttl_basis IN ('ingest', 'first_seen'));

      -- What each ingest read: the input's SHA-256 (hex) and row count; finished_at is NULL until it
      -- succeeds (a failed ingest is rolled back and its row removed).
      ALTER TABLE ingests ADD COLUMN sha256 TEXT;
      ALTER TABLE ingests ADD COLUMN rows INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE ingests ADD COLUMN finished_at INTEGER;
      UPDATE ingests SET finished_at = ingested_at;

      -- When an ingest last held the item: retention by ingest time counts from here.
      ALTER TABLE list_items ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;
      UPDATE list_items SET seen_at = coalesce(
        (SELECT g.ingested_at FROM ingests g WHERE g.id = list_items.ingest_id),
        (SELECT l.created_at FROM lists l WHERE l.id = list_items.list_id), 0);
      CREATE INDEX list_items_seen ON list_items (list_id, seen_at);
      CREATE INDEX list_items_ingest ON list_items (ingest_id);

      -- Items removed (venn remove, venn lists drop, retention) after a peer matched them keep
      -- their local side here, so the matches already recorded keep their history.
      CREATE TABLE matched_items (
        digest       BLOB    NOT NULL CHECK (length(digest) = 32),
        kind         TEXT    NOT NULL,
        list         TEXT    NOT NULL,
        account_ref  TEXT    NOT NULL,
        removed_at   INTEGER NOT NULL,
        PRIMARY KEY (digest, list, account_ref)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    description: 'key epochs: epochs with each peer, their state (own digests with doubly blinded values, the peer\'s values), their rounds and the matches they ended',
    sql: `
      -- node.md §10.4: one row per key epoch with a peer. Keys are public (K); the secret scalar
      -- lives only in the key store, never here.
      CREATE TABLE epochs (
        id          INTEGER PRIMARY KEY,
        epoch_id    BLOB    NOT NULL UNIQUE CHECK (length(epoch_id) = 32),
        peer_id     TEXT    NOT NULL,
        role        TEXT    NOT NULL CHECK (role IN ('initiator', 'responder')),
        slot_start  INTEGER NOT NULL,
        generation  INTEGER NOT NULL CHECK (generation >= 0),
        ends_at     INTEGER NOT NULL,
        status      TEXT    NOT NULL CHECK (status IN ('open', 'ended')),
        end_reason  TEXT,
        own_key     BLOB    NOT NULL CHECK (length(own_key) = 32),
        peer_key    BLOB    CHECK (peer_key IS NULL OR length(peer_key) = 32),
        next_index  INTEGER NOT NULL CHECK (next_index >= 0),
        prev_hash   BLOB    NOT NULL CHECK (length(prev_hash) = 64),
        own_count   INTEGER NOT NULL DEFAULT 0,
        peer_count  INTEGER NOT NULL DEFAULT 0,
        intersection INTEGER NOT NULL DEFAULT 0,
        peer_cap    INTEGER,
        peer_ecap   INTEGER,
        -- What the lists looked like when the epoch's last completed round started, and whether
        -- either side had more changes than it carried: node.md §10.3 runs the next round then.
        lists_mark  TEXT,
        own_more    INTEGER NOT NULL DEFAULT 0,
        peer_more   INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        UNIQUE (peer_id, slot_start, generation)
      ) STRICT;
      CREATE INDEX epochs_peer ON epochs (peer_id, status);
      CREATE INDEX epochs_created ON epochs (peer_id, created_at);

      -- SPEC §13.2: own elements of an open epoch with D (the peer's evaluation of each), and the
      -- peer's values T; looked up by value, so the value is indexed too.
      CREATE TABLE epoch_own (
        epoch_row  INTEGER NOT NULL REFERENCES epochs(id),
        digest     BLOB    NOT NULL CHECK (length(digest) = 32),
        value      BLOB    NOT NULL CHECK (length(value) = 32),
        PRIMARY KEY (epoch_row, digest)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX epoch_own_value ON epoch_own (epoch_row, value);
      CREATE TABLE epoch_peer (
        epoch_row  INTEGER NOT NULL REFERENCES epochs(id),
        value      BLOB    NOT NULL CHECK (length(value) = 32),
        PRIMARY KEY (epoch_row, value)
      ) STRICT, WITHOUT ROWID;

      -- The attempts that were rounds of an epoch: index, kind and, once completed, what changed.
      CREATE TABLE epoch_rounds (
        round_row       INTEGER PRIMARY KEY REFERENCES rounds(id),
        epoch_row       INTEGER NOT NULL REFERENCES epochs(id),
        idx             INTEGER NOT NULL CHECK (idx >= 0),
        kind            TEXT    NOT NULL CHECK (kind IN ('start', 'fill', 'incremental')),
        additions       INTEGER,
        removals        INTEGER,
        peer_additions  INTEGER,
        peer_removals   INTEGER,
        new_matches     INTEGER,
        ended_matches   INTEGER
      ) STRICT;
      CREATE INDEX epoch_rounds_epoch ON epoch_rounds (epoch_row, idx);

      -- SPEC §13.7: own digests whose match ended in a round (removed by either side).
      CREATE TABLE epoch_match_ends (
        round_row  INTEGER NOT NULL REFERENCES rounds(id),
        digest     BLOB    NOT NULL CHECK (length(digest) = 32),
        PRIMARY KEY (round_row, digest)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'the identifier rules each list was ingested under',
    sql: `
      -- identifiers.md §13, node.md §2.1: the rules string in force when the list was created; every
      -- later ingest into it runs under the same string. NULL: a list from before this was recorded,
      -- whose rules are unknown (a node treats it as stale until it is ingested again).
      ALTER TABLE lists ADD COLUMN identifier_rules TEXT CHECK (identifier_rules IS NULL OR length(identifier_rules) BETWEEN 1 AND 128);
    `,
  },
  {
    version: 7,
    description: 'what each attempt cost: elements blinded and evaluated, CPU time of its worker thread',
    sql: `
      -- node.md §2: counted in the round worker as computed (evaluations computed, not only those
      -- sent), and the CPU time of the worker thread that ran the attempt. NULL when the worker
      -- reported nothing (it was ended, the attempt never reached it, or a store from before this
      -- version); worker_cpu_ms also where the platform does not tell a thread's CPU time.
      ALTER TABLE rounds ADD COLUMN elements_blinded INTEGER CHECK (elements_blinded IS NULL OR elements_blinded >= 0);
      ALTER TABLE rounds ADD COLUMN elements_evaluated INTEGER CHECK (elements_evaluated IS NULL OR elements_evaluated >= 0);
      ALTER TABLE rounds ADD COLUMN worker_cpu_ms REAL CHECK (worker_cpu_ms IS NULL OR worker_cpu_ms >= 0);
    `,
  },
  {
    version: 8,
    description: 'how many matches were staged for a running attempt',
    sql: `
      -- node.md §2: raised in the transaction that writes each slice of staged matches, so the
      -- transaction that ends the attempt checks the count it was told against this value instead
      -- of counting up to 2^20 rows on the daemon's main thread.
      ALTER TABLE rounds ADD COLUMN staged_matches INTEGER NOT NULL DEFAULT 0 CHECK (staged_matches >= 0);
    `,
  },
  {
    version: 9,
    description: "a key epoch round's state changes staged by its worker",
    sql: `
      -- node.md §10.4: the round worker writes a completed round's changes to D_X and T_X, tagged
      -- with the round (added_in, removed_in), before it reports the round's outcome
      -- (epoch_rounds.staged); they count once the transaction that commits the round marks it
      -- applied (epoch_rounds.additions), so that transaction writes O(1) rows instead of up to
      -- 2^20 of each on the daemon's main thread.
      ALTER TABLE epoch_own ADD COLUMN added_in INTEGER;
      ALTER TABLE epoch_own ADD COLUMN removed_in INTEGER;
      ALTER TABLE epoch_peer ADD COLUMN added_in INTEGER;
      ALTER TABLE epoch_peer ADD COLUMN removed_in INTEGER;
      ALTER TABLE epoch_rounds ADD COLUMN staged INTEGER NOT NULL DEFAULT 0 CHECK (staged IN (0, 1));
      CREATE INDEX epoch_own_removed ON epoch_own (epoch_row, removed_in) WHERE removed_in IS NOT NULL;
      CREATE INDEX epoch_peer_removed ON epoch_peer (epoch_row, removed_in) WHERE removed_in IS NOT NULL;
      -- The state as the epoch's completed rounds left it, whether or not the worker has settled
      -- the staged rows yet: a row counts once the round that added it was applied, and until the
      -- round that removed it was.
      CREATE VIEW epoch_own_state AS SELECT o.epoch_row, o.digest, o.value FROM epoch_own o
        WHERE (o.added_in IS NULL OR EXISTS (SELECT 1 FROM epoch_rounds r WHERE r.round_row = o.added_in AND r.additions IS NOT NULL))
          AND (o.removed_in IS NULL OR NOT EXISTS (SELECT 1 FROM epoch_rounds r WHERE r.round_row = o.removed_in AND r.additions IS NOT NULL));
      CREATE VIEW epoch_peer_state AS SELECT p.epoch_row, p.value FROM epoch_peer p
        WHERE (p.added_in IS NULL OR EXISTS (SELECT 1 FROM epoch_rounds r WHERE r.round_row = p.added_in AND r.additions IS NOT NULL))
          AND (p.removed_in IS NULL OR NOT EXISTS (SELECT 1 FROM epoch_rounds r WHERE r.round_row = p.removed_in AND r.additions IS NOT NULL));
    `,
  },
  {
    version: 10,
    description: 'a counter of changes to the list items',
    sql: `
      -- node.md §10.3: the lists' fingerprint that decides whether a key epoch has something to
      -- carry. Raised by every transaction that inserts, updates or deletes list items (in the
      -- same transaction), so reading it is one row instead of a count over up to 2^20 items. Not
      -- by a trigger on list_items: a per-row trigger makes SQLite keep a statement journal for
      -- every row inserted, gigabytes of writes for a large ingest.
      CREATE TABLE lists_changes (id INTEGER PRIMARY KEY CHECK (id = 1), counter INTEGER NOT NULL CHECK (counter >= 0));
      INSERT INTO lists_changes (id, counter) VALUES (1, 0);
      CREATE TRIGGER lists_changes_only_rises BEFORE UPDATE ON lists_changes WHEN NEW.counter <= OLD.counter OR NEW.id <> OLD.id
        BEGIN SELECT RAISE(ABORT, 'lists_changes only rises'); END;
      CREATE TRIGGER lists_changes_kept BEFORE DELETE ON lists_changes BEGIN SELECT RAISE(ABORT, 'lists_changes is kept'); END;
    `,
  },
  {
    version: 11,
    description: "a key epoch's own values in a table of their own",
    sql: `
      -- node.md §10.4: D_X looked up by value, as a table the round worker fills in value order.
      -- An index on epoch_own (value) took the inserts in digest order, one random leaf page per
      -- row, so a batch written in many short transactions (the paced slices) rewrote nearly every
      -- page of the index in every slice: ten times the write-ahead log of one transaction at
      -- 10^5 elements, and more the larger the epoch. Each table's inserts now follow its key.
      -- The rows mirror epoch_own's: written, undone and deleted with them.
      CREATE TABLE epoch_own_values (
        epoch_row  INTEGER NOT NULL REFERENCES epochs(id),
        value      BLOB    NOT NULL CHECK (length(value) = 32),
        digest     BLOB    NOT NULL CHECK (length(digest) = 32),
        PRIMARY KEY (epoch_row, value, digest)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO epoch_own_values (epoch_row, value, digest) SELECT epoch_row, value, digest FROM epoch_own;
      DROP INDEX epoch_own_value;
    `,
  },
];
