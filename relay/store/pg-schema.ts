/**
 * The PostgreSQL schema of PgRelayStore, and the functions that make each
 * write one round trip.
 *
 * A mailbox row is what SENDs to a device contend for: it hands out seqs
 * and counts what was ever queued (messages, bytes; per source in
 * grove_shares). A SEND locks its targets' rows, so per-device seqs stay
 * gap-free and increase in commit order whichever node writes; a node's
 * batch locks all its mailboxes up front in key order, so two nodes'
 * batches queue instead of deadlocking. What left a mailbox (acked or
 * expired) is counted in rows of their own (grove_freed,
 * grove_shares_freed), so acks, which come from the node holding the device,
 * never wait for the SENDs of every other node, nor SENDs for acks. A
 * mailbox's size is queued minus freed; read without a lock, a concurrent
 * ack is not yet counted, so quotas err on the safe side. Envelopes carry
 * no reference count (a shared row every target's ack would write): an
 * ack deletes the envelopes it sees unreferenced, and the expiry sweep
 * collects any that two concurrent acks each left to the other.
 */

export const PG_SCHEMA_VERSION = 1;

/** pg_advisory locks: schema set-up, the message sweep and the blob sweep, one node at a time. */
export const LOCK_SCHEMA = 0x67726f7665_01n;
export const LOCK_SWEEP_MAIL = 0x67726f7665_02n;
export const LOCK_SWEEP_BLOBS = 0x67726f7665_03n;

export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS grove_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS grove_envelopes (id bigserial PRIMARY KEY, body bytea NOT NULL);
CREATE TABLE IF NOT EXISTS grove_sent (
  sender bytea NOT NULL, msg_id bytea NOT NULL, expires_at bigint NOT NULL,
  PRIMARY KEY (sender, msg_id)
);
CREATE INDEX IF NOT EXISTS grove_sent_expiry ON grove_sent (expires_at);
CREATE TABLE IF NOT EXISTS grove_mailboxes (
  device bytea PRIMARY KEY, next_seq bigint NOT NULL, count integer NOT NULL, bytes bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS grove_mail (
  device bytea NOT NULL, seq bigint NOT NULL, envelope_id bigint NOT NULL,
  msg_id bytea NOT NULL, sender bytea NOT NULL, flags integer NOT NULL, size integer NOT NULL,
  expires_at bigint NOT NULL, source text NOT NULL,
  PRIMARY KEY (device, seq)
);
CREATE INDEX IF NOT EXISTS grove_mail_expiry ON grove_mail (expires_at);
CREATE INDEX IF NOT EXISTS grove_mail_envelope ON grove_mail (envelope_id);
CREATE TABLE IF NOT EXISTS grove_freed (
  device bytea PRIMARY KEY, count bigint NOT NULL, bytes bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS grove_shares (
  device bytea NOT NULL, source text NOT NULL, bytes bigint NOT NULL,
  PRIMARY KEY (device, source)
);
CREATE TABLE IF NOT EXISTS grove_shares_freed (
  device bytea NOT NULL, source text NOT NULL, bytes bigint NOT NULL,
  PRIMARY KEY (device, source)
);
-- Queued now, per mailbox: what was queued minus what left.
CREATE OR REPLACE VIEW grove_mailbox_sizes AS
  SELECT b.device, b.next_seq, b.count - coalesce(f.count, 0) AS count,
         b.bytes - coalesce(f.bytes, 0) AS bytes
    FROM grove_mailboxes b LEFT JOIN grove_freed f ON f.device = b.device;
CREATE TABLE IF NOT EXISTS grove_blob_meta (
  hash bytea PRIMARY KEY, owner bytea NOT NULL, source text NOT NULL, size integer NOT NULL,
  created_at bigint NOT NULL, used_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS grove_blob_owner ON grove_blob_meta (owner);
CREATE INDEX IF NOT EXISTS grove_blob_source ON grove_blob_meta (source);
CREATE INDEX IF NOT EXISTS grove_blob_used ON grove_blob_meta (used_at);
CREATE TABLE IF NOT EXISTS grove_blob_data (hash bytea PRIMARY KEY, data bytea NOT NULL);
CREATE TABLE IF NOT EXISTS grove_blob_total (
  id integer PRIMARY KEY CHECK (id = 1), bytes bigint NOT NULL
);
INSERT INTO grove_blob_total (id, bytes) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS grove_health (
  node text PRIMARY KEY, at bigint NOT NULL
);

-- Locks the mailboxes of a batch in key order, creating missing ones.
CREATE OR REPLACE FUNCTION grove_lock_boxes(p_devices bytea[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO grove_mailboxes (device, next_seq, count, bytes)
    SELECT DISTINCT d, 1, 0, 0 FROM unnest(p_devices) AS d ORDER BY 1
    ON CONFLICT (device) DO NOTHING;
  PERFORM 1 FROM grove_mailboxes WHERE device = ANY (p_devices) ORDER BY device FOR UPDATE;
END $$;

-- One SEND: stored once, queued for every target with room, or 'full' with nothing stored.
CREATE OR REPLACE FUNCTION grove_enqueue(
  p_sender bytea, p_msg bytea, p_targets bytea[], p_flags integer, p_env bytea,
  p_expires bigint, p_source text, p_max_messages bigint, p_max_bytes bigint, p_share bigint,
  OUT status text, OUT seqs bigint[], OUT full_idx integer[], OUT full_reason text[])
LANGUAGE plpgsql AS $$
DECLARE
  v_size integer := octet_length(p_env);
  v_box record;
  v_share bigint;
  v_env bigint;
  v_ok integer[] := '{}';
  i integer;
BEGIN
  seqs := '{}'; full_idx := '{}'; full_reason := '{}';
  -- A concurrent insert of the same (sender, msgId) by another node waits here for its commit.
  INSERT INTO grove_sent (sender, msg_id, expires_at) VALUES (p_sender, p_msg, p_expires)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    status := 'duplicate';
    RETURN;
  END IF;
  PERFORM grove_lock_boxes(p_targets);
  FOR i IN 1 .. coalesce(array_length(p_targets, 1), 0) LOOP
    SELECT next_seq, count, bytes INTO v_box FROM grove_mailbox_sizes WHERE device = p_targets[i];
    v_share := 0;
    IF p_source <> '' THEN
      SELECT coalesce((SELECT bytes FROM grove_shares WHERE device = p_targets[i] AND source = p_source), 0)
           - coalesce((SELECT bytes FROM grove_shares_freed WHERE device = p_targets[i] AND source = p_source), 0)
        INTO v_share;
    END IF;
    IF v_box.count + 1 > p_max_messages THEN
      full_idx := full_idx || i; full_reason := full_reason || 'messages'::text; seqs := seqs || 0::bigint;
    ELSIF v_box.bytes + v_size > p_max_bytes THEN
      full_idx := full_idx || i; full_reason := full_reason || 'bytes'::text; seqs := seqs || 0::bigint;
    ELSIF v_share + v_size > p_share THEN
      full_idx := full_idx || i; full_reason := full_reason || 'source_share'::text; seqs := seqs || 0::bigint;
    ELSE
      v_ok := v_ok || i; seqs := seqs || v_box.next_seq;
    END IF;
  END LOOP;
  IF cardinality(v_ok) = 0 THEN
    -- Nothing stored: the msgId may be sent again once there is room.
    DELETE FROM grove_sent WHERE sender = p_sender AND msg_id = p_msg;
    status := 'full';
    RETURN;
  END IF;
  INSERT INTO grove_envelopes (body) VALUES (p_env) RETURNING id INTO v_env;
  FOREACH i IN ARRAY v_ok LOOP
    INSERT INTO grove_mail (device, seq, envelope_id, msg_id, sender, flags, size, expires_at, source)
      VALUES (p_targets[i], seqs[i], v_env, p_msg, p_sender, p_flags, v_size, p_expires, p_source);
    UPDATE grove_mailboxes SET next_seq = next_seq + 1, count = count + 1, bytes = bytes + v_size
      WHERE device = p_targets[i];
    IF p_source <> '' THEN
      INSERT INTO grove_shares (device, source, bytes) VALUES (p_targets[i], p_source, v_size)
        ON CONFLICT (device, source) DO UPDATE SET bytes = grove_shares.bytes + excluded.bytes;
    END IF;
  END LOOP;
  status := 'queued';
END $$;

-- Deletes a device's messages (acked or expired), counting what left; returns how many.
CREATE OR REPLACE FUNCTION grove_drop(p_device bytea, p_seqs bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
  v_bytes bigint;
  v_envs bigint[];
BEGIN
  WITH gone AS (
    DELETE FROM grove_mail WHERE device = p_device AND seq = ANY (p_seqs)
    RETURNING envelope_id, size, source
  ), shares AS (
    INSERT INTO grove_shares_freed (device, source, bytes)
      SELECT p_device, source, sum(size) FROM gone WHERE source <> '' GROUP BY source
      ON CONFLICT (device, source) DO UPDATE SET bytes = grove_shares_freed.bytes + excluded.bytes
  )
  SELECT count(*), coalesce(sum(size), 0), array_agg(DISTINCT envelope_id)
    INTO v_count, v_bytes, v_envs FROM gone;
  IF v_count = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO grove_freed (device, count, bytes) VALUES (p_device, v_count, v_bytes)
    ON CONFLICT (device) DO UPDATE
      SET count = grove_freed.count + excluded.count, bytes = grove_freed.bytes + excluded.bytes;
  DELETE FROM grove_envelopes e WHERE e.id = ANY (v_envs)
    AND NOT EXISTS (SELECT 1 FROM grove_mail m WHERE m.envelope_id = e.id);
  RETURN v_count;
END $$;

-- Acks of a batch, one statement: (device, seq) pairs, each mailbox dropped from in key order.
CREATE OR REPLACE FUNCTION grove_ack(p_devices bytea[], p_seqs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT t.d, array_agg(t.s) AS seqs FROM unnest(p_devices, p_seqs) AS t(d, s)
           GROUP BY t.d ORDER BY t.d LOOP
    PERFORM grove_drop(r.d, r.seqs);
  END LOOP;
END $$;

-- Expired messages and send records; -1 when another node holds the sweep.
CREATE OR REPLACE FUNCTION grove_sweep(p_now bigint, p_lock bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_total integer := 0;
  r record;
BEGIN
  IF NOT pg_try_advisory_xact_lock(p_lock) THEN
    RETURN -1;
  END IF;
  FOR r IN SELECT device, array_agg(seq) AS seqs FROM grove_mail WHERE expires_at <= p_now
           GROUP BY device ORDER BY device LOOP
    v_total := v_total + grove_drop(r.device, r.seqs);
  END LOOP;
  DELETE FROM grove_sent WHERE expires_at <= p_now;
  -- Envelopes two concurrent acks each left to the other (committed, referenced by no mail).
  DELETE FROM grove_envelopes e
    WHERE NOT EXISTS (SELECT 1 FROM grove_mail m WHERE m.envelope_id = e.id);
  -- Fold what left into what was queued, per source, and forget sources with nothing queued.
  WITH out AS (DELETE FROM grove_shares_freed RETURNING device, source, bytes)
  UPDATE grove_shares s SET bytes = s.bytes - out.bytes
    FROM out WHERE s.device = out.device AND s.source = out.source;
  DELETE FROM grove_shares WHERE bytes <= 0;
  RETURN v_total;
END $$;

-- Stores a chunk once within the quotas; the relay-wide total row serialises puts across nodes.
CREATE OR REPLACE FUNCTION grove_put_blob(
  p_hash bytea, p_data bytea, p_owner bytea, p_source text, p_now bigint,
  p_owner_quota bigint, p_source_quota bigint, p_total_quota bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_size integer := octet_length(p_data);
  v_total bigint;
BEGIN
  SELECT bytes INTO v_total FROM grove_blob_total WHERE id = 1 FOR UPDATE;
  UPDATE grove_blob_meta SET used_at = greatest(used_at, p_now) WHERE hash = p_hash;
  IF FOUND THEN
    RETURN 'exists';
  END IF;
  IF (SELECT coalesce(sum(size), 0) FROM grove_blob_meta WHERE owner = p_owner) + v_size > p_owner_quota THEN
    RETURN 'quota';
  END IF;
  IF p_source_quota IS NOT NULL AND
     (SELECT coalesce(sum(size), 0) FROM grove_blob_meta WHERE source = p_source) + v_size > p_source_quota THEN
    RETURN 'source_quota';
  END IF;
  IF p_total_quota IS NOT NULL AND v_total + v_size > p_total_quota THEN
    RETURN 'total_quota';
  END IF;
  INSERT INTO grove_blob_meta (hash, owner, source, size, created_at, used_at)
    VALUES (p_hash, p_owner, p_source, v_size, p_now, p_now);
  INSERT INTO grove_blob_data (hash, data) VALUES (p_hash, p_data);
  UPDATE grove_blob_total SET bytes = bytes + v_size WHERE id = 1;
  RETURN 'stored';
END $$;

-- Unused blobs; -1 when another node holds the sweep.
CREATE OR REPLACE FUNCTION grove_sweep_blobs(p_unused_since bigint, p_lock bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
  v_bytes bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(p_lock) THEN
    RETURN -1;
  END IF;
  PERFORM 1 FROM grove_blob_total WHERE id = 1 FOR UPDATE;
  WITH gone AS (
    DELETE FROM grove_blob_meta WHERE used_at < p_unused_since RETURNING hash, size
  ), data AS (
    DELETE FROM grove_blob_data d USING gone WHERE d.hash = gone.hash
  )
  SELECT count(*), coalesce(sum(size), 0) INTO v_count, v_bytes FROM gone;
  UPDATE grove_blob_total SET bytes = bytes - v_bytes WHERE id = 1;
  RETURN v_count;
END $$;
`;
