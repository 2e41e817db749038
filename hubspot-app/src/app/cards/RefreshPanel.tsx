/**
 * The card's body: the contact's App du Moulin status, the refresh button,
 * and what the last refresh changed. Kept apart from the `hubspot.extend`
 * entry point so tests can render it with a fake fetch and an instant sleep.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Alert,
  Button,
  DescriptionList,
  DescriptionListItem,
  Flex,
  hubspot,
  List,
  LoadingSpinner,
  Text,
  type CrmContext,
} from '@hubspot/ui-extensions';
import {
  loadContactStatus,
  realSleep,
  refreshContact,
  type ContactStatus,
  type FetchLike,
  type Outcome,
  type Sleep,
} from './moulin-api';
import {
  describeError,
  describeHeld,
  describeLastWritten,
  describeMismatch,
  describeOutcome,
  NOT_OURS,
} from './sentences';

export const REFRESH_LABEL = 'Refresh from the App du Moulin';

export interface RefreshPanelProps {
  context: CrmContext;
  /** Defaults to `hubspot.fetch`; tests pass a fake. */
  fetch?: FetchLike;
  /** Defaults to a real timer; tests pass one that resolves at once. */
  sleep?: Sleep;
}

type StatusView =
  | { phase: 'loading' }
  | { phase: 'loaded'; status: ContactStatus }
  | { phase: 'failed'; message: string };

type RefreshView =
  | { phase: 'idle' }
  | { phase: 'running'; runId: string | null }
  | { phase: 'done'; outcome: Outcome }
  | { phase: 'failed'; message: string };

export function RefreshPanel({
  context,
  fetch = hubspot.fetch,
  sleep = realSleep,
}: RefreshPanelProps) {
  // The backend wants the id as a string; HubSpot gives a number.
  const objectId = String(context.crm.objectId);
  const timeZone = context.portal.timezone;

  const [status, setStatus] = useState<StatusView>({ phase: 'loading' });
  const [refresh, setRefresh] = useState<RefreshView>({ phase: 'idle' });
  // Stops the poll loop and late state updates once the card leaves the page.
  const gone = useRef(false);
  useEffect(() => {
    gone.current = false;
    return () => {
      gone.current = true;
    };
  }, []);

  const reloadStatus = useCallback(async () => {
    setStatus({ phase: 'loading' });
    try {
      const loaded = await loadContactStatus(fetch, objectId);
      if (!gone.current) setStatus({ phase: 'loaded', status: loaded });
    } catch (error) {
      if (!gone.current) setStatus({ phase: 'failed', message: describeError(error) });
    }
  }, [fetch, objectId]);

  useEffect(() => {
    void reloadStatus();
  }, [reloadStatus]);

  const running = refresh.phase === 'running';

  const onRefresh = async () => {
    if (running) return;
    setRefresh({ phase: 'running', runId: null });
    try {
      const { outcome } = await refreshContact(objectId, {
        fetch,
        sleep,
        cancelled: () => gone.current,
        onRunning: (runId) => {
          if (!gone.current) setRefresh({ phase: 'running', runId });
        },
      });
      if (!gone.current) setRefresh({ phase: 'done', outcome });
    } catch (error) {
      if (!gone.current) setRefresh({ phase: 'failed', message: describeError(error) });
    }
    // Whatever happened, the status shown above may now be stale.
    if (!gone.current) await reloadStatus();
  };

  return (
    <Flex direction="column" gap="sm">
      <StatusSection view={status} timeZone={timeZone} />
      <Flex direction="row" gap="sm" align="center">
        <Button
          testId="refresh-button"
          variant="primary"
          disabled={running}
          onClick={() => void onRefresh()}
        >
          {REFRESH_LABEL}
        </Button>
        {running && (
          <LoadingSpinner
            testId="refresh-spinner"
            label={
              refresh.runId
                ? `Still refreshing in the App du Moulin (run ${refresh.runId})…`
                : 'Refreshing from the App du Moulin…'
            }
            showLabel
          />
        )}
      </Flex>
      <RefreshResult view={refresh} />
    </Flex>
  );
}

function StatusSection({ view, timeZone }: { view: StatusView; timeZone?: string }) {
  if (view.phase === 'loading') {
    return (
      <LoadingSpinner
        testId="status-spinner"
        label="Loading what the App du Moulin knows about this contact…"
      />
    );
  }
  if (view.phase === 'failed') {
    return (
      <Alert testId="status-error" title="Could not load the App du Moulin status" variant="error">
        {view.message}
      </Alert>
    );
  }
  const { status } = view;
  if (!status.found) {
    return (
      <Flex direction="column" gap="xs">
        <Text testId="not-ours">{NOT_OURS}</Text>
        {status.reason && <Text variant="microcopy">{status.reason}</Text>}
      </Flex>
    );
  }
  const mismatch = describeMismatch(status);
  return (
    <Flex direction="column" gap="xs">
      <DescriptionList direction="row">
        <DescriptionListItem label="Last written to HubSpot">
          <Text testId="last-written">{describeLastWritten(status.lastWrittenAt, timeZone)}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Orders in the App du Moulin">
          <Text testId="orders-in-app">{String(status.ordersInApp)}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Deals in HubSpot">
          <Text testId="deals-in-hubspot">{String(status.dealsInHubSpot)}</Text>
        </DescriptionListItem>
        {status.customerId && (
          <DescriptionListItem label="App du Moulin customer">
            <Text testId="customer-id">{status.customerId}</Text>
          </DescriptionListItem>
        )}
      </DescriptionList>
      {mismatch && <Text testId="mismatch">{mismatch}</Text>}
      {status.reason && (
        <Alert testId="status-reason" title="Held back by the App du Moulin" variant="warning">
          {status.reason}
        </Alert>
      )}
    </Flex>
  );
}

function RefreshResult({ view }: { view: RefreshView }) {
  if (view.phase === 'failed') {
    return (
      <Alert testId="refresh-error" title="The refresh did not go through" variant="error">
        {view.message}
      </Alert>
    );
  }
  if (view.phase !== 'done') return null;
  const { outcome } = view;
  return (
    <Flex direction="column" gap="xs">
      <Alert testId="refresh-outcome" title="Refreshed from the App du Moulin" variant="success">
        {describeOutcome(outcome)}
      </Alert>
      <HeldList testId="rejected" title="Rejected" held={describeHeld(outcome.rejected)} />
      <HeldList testId="waiting" title="Waiting" held={describeHeld(outcome.waiting)} />
    </Flex>
  );
}

function HeldList({ testId, title, held }: { testId: string; title: string; held: string[] }) {
  if (held.length === 0) return null;
  return (
    <Flex direction="column" gap="xs">
      <Text format={{ fontWeight: 'bold' }}>{title}</Text>
      <List testId={testId} variant="unordered">
        {held.map((line) => (
          <Text key={line}>{line}</Text>
        ))}
      </List>
    </Flex>
  );
}
