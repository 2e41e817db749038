/**
 * The card's body: the contact's App du Moulin status, latest NPS answer and
 * open support tickets,
 * the refresh button, and what the last refresh changed. Kept apart from the
 * `hubspot.extend` entry point so tests can render it with a fake fetch and an
 * instant sleep.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Alert,
  Button,
  DescriptionList,
  DescriptionListItem,
  Flex,
  hubspot,
  Link,
  List,
  LoadingSpinner,
  StatusTag,
  Text,
  type CrmContext,
} from '@hubspot/ui-extensions';
import {
  loadContactStatus,
  notOurs,
  realSleep,
  refreshContact,
  type ContactStatus,
  type FetchLike,
  type Joined,
  type Nps,
  type NpsCategory,
  type Outcome,
  type Sleep,
  type SupportTicket,
} from './moulin-api';
import {
  describeDay,
  describeError,
  describeHeld,
  describeLastWritten,
  describeMismatch,
  describeNpsScore,
  describeTicketAge,
  describeOutcome,
  describeRefreshTitle,
  NOT_OURS,
  NPS_CATEGORY_WORDS,
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
  | { phase: 'done'; outcome: Outcome; joined: Joined }
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
  // Nothing to refresh for a contact that is not one of our customers.
  const notACustomer = status.phase === 'loaded' && !status.status.found;

  const onRefresh = async () => {
    if (running) return;
    setRefresh({ phase: 'running', runId: null });
    try {
      const refreshed = await refreshContact(objectId, {
        fetch,
        sleep,
        cancelled: () => gone.current,
        onRunning: (runId) => {
          if (!gone.current) setRefresh({ phase: 'running', runId });
        },
      });
      if (gone.current) return;
      if (!refreshed.found) {
        setRefresh({ phase: 'idle' });
        setStatus({ phase: 'loaded', status: notOurs(objectId) });
        return;
      }
      setRefresh({ phase: 'done', outcome: refreshed.outcome, joined: refreshed.joined });
    } catch (error) {
      if (!gone.current) setRefresh({ phase: 'failed', message: describeError(error) });
    }
    // Whatever happened, the status shown above may now be stale.
    if (!gone.current) await reloadStatus();
  };

  return (
    <Flex direction="column" gap="sm">
      <StatusSection view={status} timeZone={timeZone} />
      {!notACustomer && (
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
                  ? 'Still refreshing from the App du Moulin…'
                  : 'Refreshing from the App du Moulin…'
              }
              showLabel
            />
          )}
        </Flex>
      )}
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
    // The service's reason is for its logs; the card says it in its own words.
    return <Text testId="not-ours">{NOT_OURS}</Text>;
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
      {status.nps && <NpsSection nps={status.nps} timeZone={timeZone} />}
      {status.tickets && <TicketsSection tickets={status.tickets} />}
    </Flex>
  );
}

const CATEGORY_TAGS: Record<NpsCategory, 'success' | 'warning' | 'danger'> = {
  promoter: 'success',
  passive: 'warning',
  detractor: 'danger',
};

function NpsSection({ nps, timeZone }: { nps: Nps; timeZone?: string }) {
  return (
    <Flex direction="column" gap="xs">
      <DescriptionList direction="row">
        <DescriptionListItem label="NPS score">
          <Text testId="nps-score">{describeNpsScore(nps.score)}</Text>
        </DescriptionListItem>
        {nps.category && (
          <DescriptionListItem label="NPS category">
            <StatusTag testId="nps-category" variant={CATEGORY_TAGS[nps.category]}>
              {NPS_CATEGORY_WORDS[nps.category]}
            </StatusTag>
          </DescriptionListItem>
        )}
        <DescriptionListItem label="NPS answered on">
          <Text testId="nps-date">{describeDay(nps.submittedAt, timeZone)}</Text>
        </DescriptionListItem>
      </DescriptionList>
      {nps.comment && (
        // One Text per line: the customer's line breaks are theirs to keep.
        <Flex testId="nps-comment" direction="column" gap="flush">
          {nps.comment.split('\n').map((line, i) => (
            <Text key={i} format={{ italic: true }}>
              {line}
            </Text>
          ))}
        </Flex>
      )}
    </Flex>
  );
}

function TicketsSection({ tickets }: { tickets: SupportTicket[] }) {
  if (tickets.length === 0) {
    return <Text testId="no-open-tickets">No open support ticket.</Text>;
  }
  return (
    <Flex direction="column" gap="xs">
      <Text format={{ fontWeight: 'bold' }}>Open support tickets</Text>
      <List testId="open-tickets">
        {tickets.map((ticket, i) => (
          <Flex key={i} direction="row" gap="xs">
            {ticket.url ? (
              <Link href={ticket.url}>{ticket.subject}</Link>
            ) : (
              <Text>{ticket.subject}</Text>
            )}
            <StatusTag variant="warning">{ticket.status}</StatusTag>
            <Text>{describeTicketAge(ticket.ageDays)}</Text>
          </Flex>
        ))}
      </List>
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
  const { outcome, joined } = view;
  return (
    <Flex direction="column" gap="xs">
      <Alert testId="refresh-outcome" title={describeRefreshTitle(joined)} variant="success">
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
