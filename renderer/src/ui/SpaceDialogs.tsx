import { type FormEvent, useState } from "react";
import { Dialog } from "./Dialog.js";
import { Actions, Alert } from "./Form.js";
import { useClient } from "./hooks.js";
import { joinErrorWords } from "./invite-words.js";

export function NewSpaceDialog(props: { onClose: () => void; onCreated: (id: string) => void }) {
  const client = useClient();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const handle = await client.createSpace(name);
      props.onCreated(handle.id);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create a space" onClose={props.onClose}>
      <form onSubmit={submit}>
        <label>
          Space name
          <input
            required
            dir="auto"
            maxLength={80}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <Alert message={error} />
        <Actions onCancel={props.onClose} submit={"Create"} disabled={busy || !name.trim()} />
      </form>
    </Dialog>
  );
}

export function JoinDialog(props: {
  initial: string;
  onClose: () => void;
  onJoined: (id: string) => void;
}) {
  const client = useClient();
  const [link, setLink] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const handle = await client.join(link);
      props.onJoined(handle.id);
    } catch (err) {
      setError(joinErrorWords(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Join a space" onClose={props.onClose}>
      <form onSubmit={submit}>
        <label>
          Invitation link
          <input
            required
            value={link}
            onChange={(e) => setLink(e.target.value)}
            placeholder="https://…/join#… or grove://join#…"
            spellCheck={false}
          />
        </label>
        <p className="muted small">
          The secret part of the link (after #) never leaves this device.
        </p>
        <Alert message={error} />
        <Actions
          onCancel={props.onClose}
          submit={busy ? "Joining…" : "Join"}
          disabled={busy || !link.trim()}
        />
      </form>
    </Dialog>
  );
}
