/**
 * Entry point HubSpot loads for the card (see moulin-refresh-card-hsmeta.json).
 * It only registers the card for the contact record's tab; the work is in
 * RefreshPanel so that tests never depend on this global registration.
 */
import { hubspot } from '@hubspot/ui-extensions';
import { RefreshPanel } from './RefreshPanel';

hubspot.extend<'crm.record.tab'>(({ context }) => <RefreshPanel context={context} />);
